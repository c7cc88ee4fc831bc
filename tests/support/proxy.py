"""A TCP proxy on a free loopback port that can pass, refuse, hang or reset connections.

It stands between the app and a real server (the test SMTP server, PostgreSQL) so a test can
make that server misbehave the way networks do, without touching the server itself.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from tests.support.casework import free_port

MODES = ("pass", "refuse", "hang", "reset")
# Given everything the client has sent on a connection, the offset to cut it at (the proxy
# forwards up to there, then resets both sides), or None to keep forwarding.
Cutter = Callable[[bytes], int | None]


def mid_smtp_message(stream: bytes) -> int | None:
    """Cut half way through the first message's content, after DATA and before its final dot,
    so the SMTP server never accepts it: the sender must retry, and no copy was delivered."""
    start = stream.lower().find(b"\r\ndata\r\n")
    if start < 0:
        return None
    content = start + len(b"\r\ndata\r\n")
    if len(stream) <= content:
        return None
    return content + (len(stream) - content) // 2


class FaultProxy:
    """Forwards 127.0.0.1:`port` to 127.0.0.1:`target`, misbehaving as `mode` says.

    pass: forward both ways. refuse: stop listening (a connect is refused) and cut every open
    connection. hang: accept, then never send a byte (the client must time out). reset: forward
    until `cutter` says, then reset both sides (TCP RST) mid-conversation.
    """

    def __init__(self, target: int, cutter: Cutter = mid_smtp_message) -> None:
        self.target = target
        self.cutter = cutter
        self.port = free_port()
        self.mode = "pass"
        self.accepted: Counter[str] = Counter()  # connections accepted, per mode
        self.resets = 0  # connections cut by the reset mode
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()
        self._released = asyncio.Event()

    def start(self) -> None:
        """Listen, passing connections through."""
        self._thread.start()
        self._call(self._listen())

    def set_mode(self, mode: str) -> None:
        """Misbehave differently from now on (returns once the change has taken effect)."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        self._call(self._set_mode(mode))

    def stop(self) -> None:
        """Close every connection, stop listening and end the proxy's thread."""
        if not self._thread.is_alive():
            return
        self._call(self._shutdown())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def _call(self, coroutine: object) -> None:
        assert asyncio.iscoroutine(coroutine)
        asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)

    async def _listen(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(
                self._handle, "127.0.0.1", self.port, reuse_address=True
            )

    async def _set_mode(self, mode: str) -> None:
        self._released.set()  # hung connections are let go (closed) on any change
        self._released = asyncio.Event()
        self.mode = mode
        if mode == "refuse":
            if self._server is not None:
                self._server.close()
                await self._server.wait_closed()
                self._server = None
            for writer in list(self._open):
                _reset(writer)
        else:
            await self._listen()

    async def _shutdown(self) -> None:
        self._released.set()
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._open):
            _reset(writer)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        mode = self.mode
        self.accepted[mode] += 1
        self._open.add(writer)
        try:
            if mode == "hang":
                await self._released.wait()
                _reset(writer)
                return
            try:
                up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target)
            except OSError:
                _reset(writer)
                return
            self._open.add(up_writer)
            try:
                await asyncio.gather(
                    self._pipe(reader, up_writer, writer, cut=mode == "reset"),
                    self._pipe(up_reader, writer, up_writer, cut=False),
                )
            finally:
                self._open.discard(up_writer)
        finally:
            self._open.discard(writer)

    async def _pipe(
        self,
        source: asyncio.StreamReader,
        sink: asyncio.StreamWriter,
        other: asyncio.StreamWriter,
        *,
        cut: bool,
    ) -> None:
        """Copy one direction; on end of stream or error, close the far side too."""
        seen = b""
        sent = 0
        try:
            while True:
                chunk = await source.read(65536)
                if not chunk:
                    break
                if cut:
                    seen += chunk
                    at = self.cutter(seen)
                    if at is not None:
                        sink.write(seen[sent:at])
                        await sink.drain()
                        self.resets += 1
                        _reset(sink)
                        _reset(other)
                        return
                    sent = len(seen)
                sink.write(chunk)
                await sink.drain()
        except (OSError, asyncio.IncompleteReadError):
            pass
        if not sink.is_closing():
            sink.close()
        if not other.is_closing():
            other.close()


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP RST (SO_LINGER 0), as a crashed peer or a middlebox would."""
    if writer.is_closing():
        return
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


@contextmanager
def fault_proxy(target: int, cutter: Cutter = mid_smtp_message) -> Iterator[FaultProxy]:
    """A started proxy to `target`, stopped at the end."""
    proxy = FaultProxy(target, cutter)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()
