"""MLLP framing: ``0x0B`` + message + ``0x1C 0x0D`` over a persistent TCP stream.

A stream arrives in arbitrary chunks; ``MllpDecoder.feed`` returns every complete frame so
far and keeps the rest. Bytes outside a frame (line noise, a sender's stray CR/LF) are
skipped; a frame longer than ``max_frame_bytes`` is a protocol error, so one bad sender
cannot make the gateway hold unbounded memory (the caller closes that connection).
"""

from __future__ import annotations

from typing import Final

START_BLOCK: Final = b"\x0b"
END_BLOCK: Final = b"\x1c\x0d"
# 1 MiB: a monitor's message with a few seconds of 250 Hz waveforms is tens of kB.
DEFAULT_MAX_FRAME_BYTES: Final = 1 << 20


class MllpFramingError(ValueError):
    """The stream cannot be framed any further (a frame over the size limit)."""


def frame(message: bytes) -> bytes:
    """One message wrapped for the wire."""
    return START_BLOCK + message + END_BLOCK


class MllpDecoder:
    """Incremental MLLP deframer for one connection."""

    __slots__ = ("_buffer", "_in_frame", "max_frame_bytes")

    def __init__(self, max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES) -> None:
        self._buffer = bytearray()
        self._in_frame = False
        self.max_frame_bytes = max_frame_bytes

    def feed(self, data: bytes) -> list[bytes]:
        """The frames completed by ``data``, in order (their payloads, without the framing)."""
        self._buffer += data
        frames: list[bytes] = []
        while True:
            if not self._in_frame:
                start = self._buffer.find(START_BLOCK)
                if start < 0:
                    self._buffer.clear()  # nothing but noise so far
                    return frames
                del self._buffer[: start + 1]
                self._in_frame = True
            end = self._buffer.find(END_BLOCK)
            if end < 0:
                if len(self._buffer) > self.max_frame_bytes:
                    raise MllpFramingError(
                        f"frame longer than {self.max_frame_bytes} bytes without an end block"
                    )
                return frames
            payload = bytes(self._buffer[:end])
            del self._buffer[: end + len(END_BLOCK)]
            self._in_frame = False
            # A start block inside a frame means the sender restarted: keep the last one.
            restart = payload.rfind(START_BLOCK)
            if restart >= 0:
                payload = payload[restart + 1 :]
            if len(payload) > self.max_frame_bytes:
                raise MllpFramingError(f"frame of {len(payload)} bytes over the limit")
            frames.append(payload)

    @property
    def pending_bytes(self) -> int:
        """Bytes held for a frame not yet complete."""
        return len(self._buffer) if self._in_frame else 0
