//! The table of user errors: for each, the set-up, the command line, what
//! the message must say and the fix it must name.

use super::*;

pub(super) const CASES: &[Case] = &[
    Case {
        what: "no key anywhere",
        setup: nothing,
        env: &[],
        args: "--base-url {base} send c --prompt x",
        says: &["no API key is set"],
        fix: "Set one with `export PIXLOOM_API_KEY",
    },
    Case {
        what: "a key the gateway refuses (401)",
        setup: nothing,
        env: &[],
        args: "--base-url {base} --api-key sk-wrong send c --prompt x",
        says: &["401"],
        fix: "Set a valid key with PIXLOOM_API_KEY",
    },
    Case {
        what: "a size that is not one of the 30",
        setup: nothing,
        env: &[],
        args: "--size 1024x768 send c --prompt x",
        says: &["\"1024x768\" is not one of the gateway's 30 sizes"],
        fix: "try 1280x960",
    },
    Case {
        what: "a size in the environment",
        setup: nothing,
        env: &[("PIXLOOM_SIZE", "big")],
        args: "--api-key {key} send c --prompt x",
        says: &["PIXLOOM_SIZE is not valid"],
        fix: "Set it to auto or a size like 2048x1152, or unset it",
    },
    Case {
        what: "a model the gateway does not serve",
        setup: nothing,
        env: &[],
        args: "--base-url {base} --api-key {key} --model gpt-image-9 send c --prompt x",
        says: &["400", "gpt-image-9"],
        fix: "Pick a model the gateway serves with --model",
    },
    Case {
        what: "an empty prompt",
        setup: nothing,
        env: &[],
        args: "--api-key {key} send c --prompt ' '",
        says: &["the prompt is empty"],
        fix: "Say what you want to see: --prompt",
    },
    Case {
        what: "a missing reference file",
        setup: nothing,
        env: &[],
        args: "--api-key {key} send c --prompt x --image nope.png",
        says: &["the file does not exist", "— nope.png"],
        fix: "Check the path",
    },
    Case {
        what: "a reference that is not an image",
        setup: |home| file(home, "notes.txt", "hello"),
        env: &[],
        args: "--api-key {key} send c --prompt x --image notes.txt",
        says: &["the file is not an image", "— notes.txt"],
        fix: "Attach a PNG, JPEG or WebP file",
    },
    Case {
        what: "a reference over the 200 MB file limit",
        setup: |home| {
            // Sparse: the limit is checked from the file's size.
            let f = std::fs::File::create(home.join("huge.png")).unwrap();
            f.set_len(201_000_000).unwrap();
            None
        },
        env: &[],
        args: "--api-key {key} send c --prompt x --image huge.png",
        says: &["the file is 201.0 MB", "— huge.png"],
        fix: "Attach a smaller copy",
    },
    Case {
        what: "the gateway is down",
        setup: nothing,
        env: &[],
        args: "--base-url {down} --api-key {key} send c --prompt x",
        says: &["could not reach the gateway"],
        fix: "Check your network and --base-url",
    },
    Case {
        what: "a reply in no known shape",
        setup: nothing,
        env: &[],
        args: "--base-url {base} --api-key {key} send c --prompt 'x [fake:fault=truncated]'",
        says: &["cut off", "may have been billed"],
        fix: "retry",
    },
    Case {
        what: "a refused prompt",
        setup: nothing,
        env: &[],
        args: "--base-url {base} --api-key {key} send c --prompt 'x [fake:refuse]'",
        says: &["the gateway refused the prompt"],
        fix: "Rephrase it and send again",
    },
    Case {
        what: "--from a node that does not exist",
        setup: conversation,
        env: &[],
        args: "--api-key {key} send c --prompt x --from n99",
        says: &["no node n99"],
        fix: "Run `pixloom show c`",
    },
    Case {
        what: "a conversation that does not exist",
        setup: nothing,
        env: &[],
        args: "show nowhere",
        says: &["the conversation does not exist", "— nowhere.pixloom"],
        fix: "Check the name",
    },
    Case {
        what: "a damaged conversation file",
        setup: |home| {
            std::fs::write(
                conversation_file(home),
                "{\"format\": \"pixloom/1\", \"nodes",
            )
            .unwrap();
            None
        },
        env: &[],
        args: "show c",
        says: &["is damaged at line 1", "it was not changed"],
        fix: "Restore it from a backup",
    },
    Case {
        what: "a conversation written by a newer pixloom",
        setup: |home| {
            let file = conversation_file(home);
            let text = std::fs::read_to_string(&file).unwrap();
            assert!(text.contains("pixloom/1"), "{text}");
            std::fs::write(&file, text.replace("pixloom/1", "pixloom/2")).unwrap();
            None
        },
        env: &[],
        args: "export c --format html --out c.html",
        says: &["written by a newer pixloom (pixloom/2)"],
        fix: "upgrade pixloom",
    },
    Case {
        what: "a conversation another process has open",
        setup: |home| {
            let (folder, _) =
                ConvFolder::open_or_create(home.join("c.pixloom"), time::OffsetDateTime::now_utc())
                    .unwrap();
            Some(folder)
        },
        env: &[],
        args: "--api-key {key} send c --prompt x",
        says: &[
            "the conversation is open in another pixloom process",
            "c.pixloom",
        ],
        fix: "close it first",
    },
    Case {
        what: "a config file named with --config that does not exist",
        setup: nothing,
        env: &[],
        args: "--config nope.toml --api-key {key} send c --prompt x",
        says: &["the config file nope.toml given with --config does not exist"],
        fix: "Check the path",
    },
    Case {
        what: "an unknown key in the config file",
        setup: |home| config(home, "modle = \"gpt-image-2-all\"\n"),
        env: &[],
        args: "--api-key {key} send c --prompt x",
        says: &["line 1, column 1", "unknown field `modle`", "`model`"],
        fix: "Fix that line (docs/config.md lists every key)",
    },
    Case {
        what: "a bad value in the config file",
        setup: |home| config(home, "model = \"gpt-image-2-vip\"\nsize = \"1024x768\"\n"),
        env: &[],
        args: "--api-key {key} send c --prompt x",
        says: &["line 2, column 8", "try 1280x960"],
        fix: "Fix that line",
    },
    Case {
        what: "a timeout that is not positive",
        setup: |home| config(home, "request_timeout_secs = -1\n"),
        env: &[],
        args: "--api-key {key} send c --prompt x",
        says: &[
            "request_timeout_secs in ",
            "must be a positive number of seconds",
        ],
        fix: "Use a number like 300",
    },
    Case {
        what: "a bad value given as a flag",
        setup: nothing,
        env: &[],
        args: "--api-key {key} --request-timeout 0 send c --prompt x",
        says: &["--request-timeout must be a positive number"],
        fix: "Use a number like 300",
    },
    Case {
        what: "a binding to an action that does not exist",
        setup: |home| config(home, "[keys.browse]\n\"ctrl-n\" = \"fly\"\n"),
        env: &[],
        args: "--api-key {key} send c --prompt x",
        says: &["\"ctrl-n\" = \"fly\": no such action"],
        fix: "Fix or remove that line",
    },
    Case {
        what: "a binding to a key that does not exist",
        setup: |home| config(home, "[keys.browse]\n\"hyper-x\" = \"quit\"\n"),
        env: &[],
        args: "replay c",
        says: &["\"hyper-x\""],
        fix: "Fix or remove that line",
    },
    Case {
        what: "a log level that does not exist",
        setup: conversation,
        env: &[],
        args: "--log-level loud show c",
        says: &["'loud' for '--log-level"],
        fix: "use error, warn, info, debug or trace",
    },
    Case {
        what: "an export onto a file that exists",
        setup: |home| {
            std::fs::write(home.join("c.html"), "mine").unwrap();
            conversation(home)
        },
        env: &[],
        args: "export c --format html --out c.html",
        says: &["c.html already exists and was not changed"],
        fix: "Pick another --out, or pass --force to replace it",
    },
    Case {
        what: "an export into the conversation folder",
        setup: conversation,
        env: &[],
        args: "export c --format markdown --out c.pixloom/conversation.json --force",
        says: &["is inside the conversation folder", "never writes there"],
        fix: "Pick a path outside it",
    },
    Case {
        what: "an export into a folder that cannot be written (a file is in the way)",
        setup: |home| {
            std::fs::write(home.join("afile"), "").unwrap();
            conversation(home)
        },
        env: &[],
        args: "export c --format html --out afile/c.html",
        says: &["cannot write", "— afile/c.html"],
        fix: "Check that the folder exists and is writable",
    },
    Case {
        what: "a conversation where a file is in the way",
        setup: |home| file(home, "afile", ""),
        env: &[],
        args: "--api-key {key} send afile/c --prompt x",
        says: &["that is not a conversation folder", "— afile/c.pixloom"],
        fix: "Pick another name",
    },
];
