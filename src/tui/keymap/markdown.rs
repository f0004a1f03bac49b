//! `docs/keys.md`, generated from the keymap.

use super::{Keymap, describe};

impl Keymap {
    /// `docs/keys.md`.
    pub(crate) fn markdown(&self) -> String {
        let mut out = String::from(
            "# pixloom keys\n\n\
             Generated from `src/tui/keymap.rs` by the test `keys_doc_is_current`\n\
             (`UPDATE_DOCS=1 cargo test --lib keys_doc` rewrites it). The help overlay\n\
             (`?`) shows the same table with your own bindings merged in.\n\n\
             ## Rebinding keys\n\n\
             In `config.toml`, a `[keys.CONTEXT]` table maps keys to action names (the\n\
             `action` column below). A key bound there replaces its default in that\n\
             context; `\"none\"` unbinds it. An unknown context, key or action is a\n\
             config error naming it.\n\n\
             ```toml\n\
             [keys.browse]\n\
             \"ctrl-n\" = \"move-down\"\n\
             \"ctrl-p\" = \"move-up\"\n\
             \"x\" = \"delete\"\n\
             \"d\" = \"none\"\n\n\
             [keys.composer]\n\
             \"ctrl-s\" = \"send\"\n\
             ```\n\n\
             Keys are written `j`, `G`, `?`, `space`, `enter`, `esc`, `tab`, `shift-tab`,\n\
             `backspace`, `up`, `pageup`, `ctrl-x`, `alt-enter`. The tree context falls\n\
             back to browse; in text inputs only `ctrl-` and function keys reach the global\n\
             table.\n",
        );
        for (ctx, rows) in self.help_sections() {
            out.push_str(&format!(
                "\n## {} (`[keys.{}]`)\n\n| keys | action | does |\n| --- | --- | --- |\n",
                ctx.title(),
                ctx.config_name()
            ));
            for (keys, action) in rows {
                let keys: Vec<String> = keys
                    .split(' ')
                    .map(|k| format!("`{}`", k.replace('|', "\\|")))
                    .collect();
                out.push_str(&format!(
                    "| {} | `{}` | {} |\n",
                    keys.join(" "),
                    action.name(),
                    describe(ctx, action)
                ));
            }
        }
        out.push_str(
            "\nIn the composer, other keys edit the text (tui-textarea's emacs-like keys; \
             `ctrl-u` undoes). `?` in an empty composer opens help; with text it is text. \
             The composer's title always says what `enter` will do: reply under the end of \
             the selected branch, a new branch beside the prompt being edited (`e`), refine \
             an image (`f`), or a new conversation root (an empty tree, or `alt-r`). Leaving \
             the composer drops an edit or refine; the text stays as a draft and the title \
             says so.\n\n\
             Pasting exactly one path to an image file (`.png`, `.jpg`, `.jpeg`, `.webp`, \
             `.gif`, `.bmp`, `.tif`, `.tiff`; absolute, `~/`, `./` or `../`; quoted, \
             backslash-escaped or a `file://` URL, as dragging a file into a terminal pastes \
             it) attaches the image, as in Codex CLI, and the status line says so; if it \
             cannot be attached the paste goes in as text. Anything else pasted is text.\n\n\
             Cancelling a running request (`esc` in the tree or transcript) asks first: the \
             call may already be billed. In the variants picker, a digit 1-8 starts that \
             many variants at once, and `g` asks for a grid instead: comma lists of sizes \
             and/or models (`1280x720,2048x1152 gpt-image-2-vip,gpt-image-2-all`), one \
             billed call per cell, all at once; the gallery (`V`) then shows them as a grid \
             with a row per size and a column per model.\n",
        );
        out
    }
}
