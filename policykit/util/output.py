"""Writing outputs so that a failure never leaves a damaged file behind.

An output replaces only a regular file, or takes a new name: a device, FIFO, socket,
folder or symlink in its place is refused (``-o /dev/null`` must never replace the
system's ``/dev/null``). The text is written to an anonymous file in the target's
folder (``O_TMPFILE``), which a crash or SIGKILL leaves nowhere, and given a name only
once it is complete, just before it is renamed into place. Under a ``root`` (an export
folder) no folder on the way is followed through a symlink. Every OS error is an
:class:`OutputError` with one line naming the path.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from pathlib import Path


class OutputError(Exception):
    """An output that cannot be written; the message names the path and why."""


def write_atomic(
    path: str | os.PathLike[str], text: str, *, root: str | os.PathLike[str] | None = None
) -> None:
    """Write ``text`` to ``path`` so that a reader sees either the old file or the
    complete new one, never a partial write.

    With ``root``, ``path`` lies under it and the folders between them are created as
    needed but never followed through a symlink.
    """
    target = Path(path)
    data = text.encode("utf-8")
    try:
        dir_fd = _open_folder(target, None if root is None else Path(root))
    except OSError as exc:
        raise OutputError(f"cannot write {_shown(target)}: {_reason(exc)}") from None
    try:
        _refuse_special(dir_fd, target)
        _write_into(dir_fd, target.name, data)
    except OSError as exc:
        raise OutputError(f"cannot write {_shown(target)}: {_reason(exc)}") from None
    finally:
        os.close(dir_fd)


_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def _open_folder(target: Path, root: Path | None) -> int:
    """A descriptor of ``target``'s folder, created if missing."""
    if root is None:
        _make_folder(target.parent)
        return os.open(target.parent, _DIR_FLAGS)
    parts = target.relative_to(root).parts[:-1]
    _make_folder(root)
    fd = os.open(root, _DIR_FLAGS)
    try:
        for part in parts:
            with contextlib.suppress(FileExistsError):
                os.mkdir(part, dir_fd=fd)
            try:
                inner = os.open(part, _DIR_FLAGS | _NOFOLLOW, dir_fd=fd)
            except OSError as exc:
                if exc.errno == errno.ELOOP or _is_link(fd, part):
                    raise OSError(
                        errno.ELOOP, f"{part} is a symlink, and outputs never write through one"
                    ) from None
                raise
            os.close(fd)
            fd = inner
    except BaseException:
        os.close(fd)
        raise
    return fd


def _make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        # mkdir names neither the path in the way nor what it is
        for above in (folder, *folder.parents):
            if above.exists() and not above.is_dir():
                raise OSError(errno.ENOTDIR, f"{_shown(above)} is not a folder") from None
        raise


def _is_link(dir_fd: int, name: str) -> bool:
    try:
        return stat.S_ISLNK(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode)
    except OSError:
        return False


def _refuse_special(dir_fd: int, target: Path) -> None:
    try:
        st = os.stat(target.name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return
    if stat.S_ISREG(st.st_mode):
        return
    kind = file_kind(st.st_mode)
    raise OSError(
        errno.EEXIST,
        f"it is {kind}, and only a regular file is replaced"
        + ("" if stat.S_ISDIR(st.st_mode) else " (use -o - to write to stdout)"),
    )


def _write_into(dir_fd: int, name: str, data: bytes) -> None:
    try:
        mode = os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode & 0o7777
    except FileNotFoundError:
        # the mode a plain open() would give a new file
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    fd = _anonymous(dir_fd)
    if fd is not None:
        try:
            os.fchmod(fd, mode)
            _write_all(fd, data)
            if _link_and_replace(fd, dir_fd, name):
                return
        finally:
            os.close(fd)
    # no O_TMPFILE here (another OS or file system): a named temporary file, removed on
    # any error this process sees
    tmp = _temp_name(name)
    fd = os.open(
        tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | os.O_CLOEXEC, 0o600, dir_fd=dir_fd
    )
    try:
        try:
            os.fchmod(fd, mode)
            _write_all(fd, data)
        finally:
            os.close(fd)
        os.replace(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        _unlink(tmp, dir_fd)
        raise


def _anonymous(dir_fd: int) -> int | None:
    flag = getattr(os, "O_TMPFILE", 0)
    if not flag:
        return None
    try:
        return os.open(".", os.O_WRONLY | flag | os.O_CLOEXEC, 0o600, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL, errno.ENOENT):
            return None
        raise


def _link_and_replace(fd: int, dir_fd: int, name: str) -> bool:
    """Name the complete anonymous file ``fd`` and rename it over ``name``; False when
    this system cannot name it (no ``/proc``)."""
    tmp = _temp_name(name)
    try:
        os.link(f"/proc/self/fd/{fd}", tmp, dst_dir_fd=dir_fd, follow_symlinks=True)
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.EPERM, errno.EXDEV, errno.EOPNOTSUPP):
            return False
        raise
    try:
        os.replace(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        _unlink(tmp, dir_fd)
        raise
    return True


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
    os.fsync(fd)


def _temp_name(name: str) -> str:
    return f".{name[:200]}.{secrets.token_hex(4)}.tmp"


def _unlink(name: str, dir_fd: int) -> None:
    with contextlib.suppress(OSError):
        os.unlink(name, dir_fd=dir_fd)


def file_kind(mode: int) -> str:
    """What a file of ``mode`` is, in words."""
    for test, kind in (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISLNK, "a symlink"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return kind
    return "not a regular file"


def _reason(exc: OSError) -> str:
    message = exc.strerror or str(exc)
    return message[:1].lower() + message[1:]


def _shown(path: Path) -> str:
    text = os.fspath(path)
    return text if text.isprintable() else text.encode("unicode_escape").decode("ascii")


def write_stdout(text: str) -> None:
    """Write ``text`` to stdout in full, or raise OSError.

    ``sys.stdout.write`` can lose the end of a large write without an error: when the
    reader of a pipe goes away mid-write (``compile | head``), the buffered writer
    reports a partial count, which the text layer drops, so the command exited 0 with
    a truncated spec. Here every byte is accounted for, and the broken pipe is raised.
    """
    import sys

    stream = sys.stdout
    if stream is None:
        raise OSError(errno.EBADF, "stdout is closed")
    buffer = getattr(stream, "buffer", None)
    if buffer is None:  # a text-only stream (some test runners): nothing is lost there
        stream.write(text)
        stream.flush()
        return
    stream.flush()
    view = memoryview(text.encode(stream.encoding or "utf-8", errors="strict"))
    while view:
        written = buffer.write(view)
        buffer.flush()
        if not written:
            raise OSError(errno.EPIPE, "stdout accepted no more output")
        view = view[written:]
