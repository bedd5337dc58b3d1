"""fsspec helpers: every path in the project is a URL (local path, file://, gs://, memory://)."""

from __future__ import annotations

import hashlib

import fsspec
from fsspec import AbstractFileSystem
from fsspec.core import url_to_fs


def open_fs(url: str) -> tuple[AbstractFileSystem, str]:
    """The filesystem serving ``url`` and the path inside it."""
    fs, path = url_to_fs(url)
    return fs, path


def join(root: str, *parts: str) -> str:
    """Join URL/path segments with '/', which every fsspec filesystem accepts."""
    out = root.rstrip("/")
    for p in parts:
        out = f"{out}/{p.strip('/')}"
    return out


def is_local(url: str) -> bool:
    fs, _ = url_to_fs(url)
    return "file" in (fs.protocol if isinstance(fs.protocol, tuple) else (fs.protocol,))


def copy_tree(src_url: str, dst_url: str) -> None:
    """Copy a directory tree between any two fsspec locations (e.g. local <-> gs://)."""
    src_fs, src = url_to_fs(src_url)
    dst_fs, dst = url_to_fs(dst_url)
    dst_fs.makedirs(dst, exist_ok=True)
    for path in src_fs.find(src):
        rel = path[len(src.rstrip("/")) + 1 :]
        target = join(dst, rel)
        parent = target.rsplit("/", 1)[0]
        dst_fs.makedirs(parent, exist_ok=True)
        if src_fs is dst_fs:
            src_fs.copy(path, target)
        else:
            with src_fs.open(path, "rb") as fin, dst_fs.open(target, "wb") as fout:
                fout.write(fin.read())


def tree_fingerprint(url: str) -> str:
    """A digest of every file under ``url``: its relative path, size and the filesystem's own
    checksum of it (modification time locally, the stored object's hash in a bucket). It changes
    whenever a file is added, removed, renamed or rewritten, without reading any content."""
    fs, root = open_fs(url)
    root = root.rstrip("/")
    digest = hashlib.sha256()
    for path, info in sorted(fs.find(root, detail=True).items()):
        digest.update(f"{path[len(root):]}\0{info.get('size')}\0{fs.checksum(path)}\n".encode())
    return digest.hexdigest()


__all__ = ["fsspec", "open_fs", "join", "is_local", "copy_tree", "tree_fingerprint"]
