"""Operations on files: outputs into the local artifact store, downloads and uploads."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pipeflow_nb.client._base import Call, ClientCore, Op, Reply, Work
from pipeflow_nb.client._outputs import artifact_key, decode_data_url
from pipeflow_nb.client._parsing import unwrap
from pipeflow_nb.errors import APIConnectionError, APIError, NotFoundError
from pipeflow_nb.media import Media
from pipeflow_nb.models.execution import MediaRef

__all__ = ["FileOperations"]


class FileOperations(ClientCore):
    """Fetching outputs (content-addressed, each URL once), ``download`` and ``upload``."""

    # --- files ------------------------------------------------------------------------------
    def _op_fetch(self, url: str) -> Op[str]:
        """Bring the bytes behind ``url`` into the artifact store; their key."""
        key = artifact_key(url)
        if key is not None and self.artifacts.exists(key):
            return key
        decoded = decode_data_url(url)
        if decoded is not None:
            data, content_type = decoded
            stored: str = yield Work(lambda: self.artifacts.put(data, content_type))
            return stored
        if url.startswith("artifact:"):
            raise NotFoundError(
                f"artifact {url!r} is not in {self.artifacts.root}", status_code=404
            )
        reply: Reply = yield Call("GET", url, raw=True)
        key = yield Work(lambda: self.artifacts.put(reply.data, reply.content_type))
        return str(key)

    def _op_fetch_all(self, runs: Sequence[Any], keys: dict[str, str]) -> Op[None]:
        """Fetch every media output not fetched yet, recording ``url → key`` in ``keys``.

        A file that cannot be fetched now is skipped (the next poll tries again); the run's
        record keeps its URL either way, so a failed download never hides the result.
        """
        for run in runs:
            if run.output is None:
                continue
            for ref in run.output.media:
                if ref.url in keys:
                    continue
                try:
                    keys[ref.url] = yield from self._op_fetch(ref.url)
                except (APIError, APIConnectionError):
                    continue

    def _op_download(self, output: Any, dest: str | Path | None) -> Op[Any]:
        if isinstance(output, Media):
            media = output
        else:
            url = output.url if isinstance(output, MediaRef) else output
            if not isinstance(url, str):
                raise TypeError(
                    f"cannot download a {type(output).__name__}; pass a MediaRef or URL"
                )
            key = yield from self._op_fetch(url)
            media = self.artifacts.media(key)
        if dest is None:
            return media
        target = Path(dest)
        if target.is_dir():
            target = target / f"{media.sha256[:16]}{media.extension}"
        saved: Path = yield Work(lambda: media.save(target))
        return saved

    def _op_upload(self, source: Any, filename: str | None) -> Op[str]:
        if isinstance(source, Media):
            data, content_type = source.data, source.content_type
            name = filename or f"upload{source.extension}"
        elif isinstance(source, bytes):
            media = Media.from_bytes(source)
            data, content_type = source, media.content_type
            name = filename or f"upload{media.extension}"
        else:
            path = Path(source)
            media = Media.from_file(path)
            data, content_type, name = media.data, media.content_type, filename or path.name
        reply: Reply = yield Call(
            "POST", "/media/upload", files={"file": (name, data, content_type)}
        )
        body = unwrap(reply.data, "url")
        if not isinstance(body, dict) or not isinstance(body.get("url"), str):
            raise APIError("the upload answer has no url", status_code=reply.status_code, body=body)
        return str(body["url"])
