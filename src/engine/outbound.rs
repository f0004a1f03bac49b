//! A planned request as bytes for the gateway: images resolved to their
//! upload copies (prepared and stored on the way when need be).

use bytes::Bytes;

use crate::gateway::{Outbound, Upload};
use crate::images::{self, ImageInfo, ImageStore};
use pixloom_core::history::{ImageForm, OutPart, RequestBody, TurnRequest};
use pixloom_core::tree::{Blob, ImageRef};
use pixloom_core::wire::{self, ChatMessage, ContentPart, EditsFields};

/// A failure before or after the exchange (local files, the result image).
pub(super) struct LocalFailure(pub(super) String);

pub(super) async fn outbound(
    store: &ImageStore,
    req: &TurnRequest,
    reuse_remote_urls: bool,
    copies: &mut Vec<(String, Blob)>,
) -> Result<Outbound, LocalFailure> {
    let model = req.params.model.as_str();
    match &req.body {
        RequestBody::Chat { messages, size } => {
            let mut wire_messages = Vec::with_capacity(messages.len());
            for m in messages {
                let mut content = Vec::with_capacity(m.parts.len());
                for p in &m.parts {
                    content.push(match p {
                        OutPart::Text(text) => ContentPart::Text { text: text.clone() },
                        OutPart::Image(img) => {
                            let url = match &img.form {
                                ImageForm::RemoteUrl(u) if reuse_remote_urls => u.clone(),
                                ImageForm::RemoteUrl(_) | ImageForm::LocalCopy => {
                                    let (bytes, info) =
                                        upload_bytes(store, &img.image, copies).await?;
                                    images::data_url(&bytes, &info)
                                }
                            };
                            ContentPart::ImageUrl {
                                image_url: wire::ImageUrl { url },
                            }
                        }
                    });
                }
                wire_messages.push(ChatMessage {
                    role: m.role,
                    content,
                });
            }
            let body = wire::ChatRequest {
                model,
                messages: wire_messages,
                size: size.clone(),
                stream: false,
            };
            json(req.body.path(), &body)
        }
        RequestBody::Generations { prompt, size } => {
            let body = wire::GenerationsRequest {
                model,
                prompt,
                size: size.clone(),
                response_format: "url",
            };
            json(req.body.path(), &body)
        }
        RequestBody::Edits {
            prompt,
            images: refs,
            size,
        } => {
            let mut files = Vec::with_capacity(refs.len());
            for (i, img) in refs.iter().enumerate() {
                let (bytes, info) = upload_bytes(store, img, copies).await?;
                files.push(Upload {
                    file_name: format!("image{}.{}", i + 1, info.format.ext()),
                    mime: info.format.mime(),
                    bytes: Bytes::from(bytes),
                });
            }
            Ok(Outbound::Edits {
                fields: EditsFields {
                    model: model.to_owned(),
                    prompt: prompt.clone(),
                    size: size.clone(),
                    response_format: "url",
                },
                files,
            })
        }
    }
}

fn json(path: &'static str, body: &impl serde::Serialize) -> Result<Outbound, LocalFailure> {
    serde_json::to_vec(body)
        .map(|b| Outbound::Json {
            path,
            body: Bytes::from(b),
        })
        .map_err(|e| LocalFailure(format!("could not encode the request: {e}")))
}

/// The bytes to send for an image: its prepared copy, preparing (and
/// storing) one now if it has none and the original is not fit to send.
async fn upload_bytes(
    store: &ImageStore,
    image: &ImageRef,
    copies: &mut Vec<(String, Blob)>,
) -> Result<(Vec<u8>, ImageInfo), LocalFailure> {
    let known = image.upload.clone().or_else(|| {
        copies
            .iter()
            .find(|(s, _)| *s == image.original.sha256)
            .map(|(_, b)| b.clone())
    });
    let (store2, original) = (store.clone(), image.original.clone());
    let (bytes, info, new_blob) =
        tokio::task::spawn_blocking(move || -> Result<_, images::ImageError> {
            if let Some(blob) = known {
                let bytes = store2.read(&blob)?;
                let info = images::inspect(&bytes)?;
                return Ok((bytes, info, None));
            }
            let bytes = store2.read(&original)?;
            let prepared = images::prepare_upload(&bytes)?;
            if prepared.bytes == bytes {
                return Ok((prepared.bytes, prepared.info, None));
            }
            let blob = store2.put(&prepared.bytes, &prepared.info)?;
            Ok((prepared.bytes, prepared.info, Some(blob)))
        })
        .await
        .map_err(|e| LocalFailure(format!("preparing an image failed: {e}")))?
        .map_err(|e| LocalFailure(e.to_string()))?;
    if let Some(b) = new_blob {
        copies.push((image.original.sha256.clone(), b));
    }
    Ok((bytes, info))
}
