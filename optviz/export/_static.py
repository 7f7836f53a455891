"""PNG/SVG/PDF through kaleido 1.x and a local Chromium, one browser per process.

Kaleido renders a figure with plotly.js inside a headless Chromium. Starting Chromium takes
seconds, an export with a running one a fraction of a second, so one browser is started
lazily on the first export and reused until the process exits (`atexit`).

Why not `kaleido.start_sync_server()`: its server thread dies silently when Chromium fails to
start, and the next call then blocks forever on its task queue. A Streamlit script thread that
hangs on an export button is worse than an error, so this module runs the same `kaleido.Kaleido`
on its own event-loop thread and waits on futures with timeouts; start-up failures come back
as `ExportUnavailable` with what to install.

No outbound requests: the page kaleido loads references only local files (plotly.js shipped
inside the plotly package, kaleido's own script, MathJax disabled), and Chromium is started
with background networking and extensions off and every host name mapped to "not found".
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import io
import logging
import os
import shutil
import threading
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any, Literal

from ._errors import INSTALL_HINT, ExportUnavailable

_log = logging.getLogger(__name__)

ImageFormat = Literal["png", "svg", "pdf"]
IMAGE_FORMATS: tuple[str, ...] = ("png", "svg", "pdf")

# plotly.js's and kaleido's default figure size when neither the call nor the layout sets one.
DEFAULT_WIDTH = 700
DEFAULT_HEIGHT = 500

START_TIMEOUT_S = 60.0
RENDER_TIMEOUT_S = 90.0

# Appended to choreographer's Chromium command line (after its own flags).
OFFLINE_CHROMIUM_FLAGS: tuple[str, ...] = (
    "--disable-background-networking",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--disable-default-apps",
    "--no-pings",
    "--disable-quic",
    "--disable-features=MediaRouter,OptimizationHints,Translate,AutofillServerCommunication",
    # Every host name resolves to "not found": nothing can reach the network even if a
    # figure names a remote image or font.
    "--host-resolver-rules=MAP * ~NOTFOUND",
)

_DEBIAN_PATHS = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
_PATH_NAMES = ("chromium", "chromium-browser", "google-chrome-stable", "google-chrome", "chrome")


def _is_exe(path: str | os.PathLike[str]) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def find_chromium() -> str | None:
    """Path of the Chromium kaleido should drive, or None.

    Order: $OPTVIZ_CHROMIUM, $BROWSER_PATH (choreographer's own override), Debian's
    /usr/bin/chromium, then `chromium`/`google-chrome` on $PATH. An environment variable that
    names no executable is an error rather than silently ignored.
    """
    for var in ("OPTVIZ_CHROMIUM", "BROWSER_PATH"):
        value = os.environ.get(var)
        if value:
            if _is_exe(value):
                return value
            raise ExportUnavailable(f"${var}={value!r} is not an executable file. {INSTALL_HINT}")
    for path in _DEBIAN_PATHS:
        if _is_exe(path):
            return path
    for name in _PATH_NAMES:
        found = shutil.which(name)
        if found and _is_exe(found):
            return found
    return None


def local_plotlyjs() -> Path:
    """plotly.js as shipped inside the installed plotly package (kaleido must not use the CDN)."""
    import plotly

    path = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"
    if not path.is_file():
        raise ExportUnavailable(
            f"plotly.js is missing from the plotly package ({path}); reinstall plotly "
            "(`pip install --force-reinstall plotly`)."
        )
    return path


def _offline_chromium_cls() -> type:
    from choreographer.browsers.chromium import Chromium

    class OfflineChromium(Chromium):
        """choreographer's Chromium with networking switched off (see OFFLINE_CHROMIUM_FLAGS)."""

        def get_cli(self):  # noqa: D102
            return [*super().get_cli(), *OFFLINE_CHROMIUM_FLAGS]

    return OfflineChromium


def _halt(loop: asyncio.AbstractEventLoop, thread: threading.Thread | None) -> None:
    """Cancel what still runs on `loop` (e.g. choreographer's watchdog), stop and close it."""
    async def cancel_rest() -> None:
        rest = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in rest:
            task.cancel()
        await asyncio.gather(*rest, return_exceptions=True)

    if thread is not None and thread.is_alive():
        with contextlib.suppress(BaseException):
            asyncio.run_coroutine_threadsafe(cancel_rest(), loop).result(timeout=5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
    if thread is None or not thread.is_alive():
        loop.close()


class KaleidoServer:
    """One kaleido browser on a private event-loop thread; thread-safe, started lazily."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._kaleido: Any = None
        self._atexit_registered = False
        self.browser_path: str | None = None

    # -- lifecycle ---------------------------------------------------------------------
    def is_running(self) -> bool:
        k = self._kaleido
        if k is None or self._thread is None or not self._thread.is_alive():
            return False
        proc = getattr(k, "subprocess", None)
        return proc is None or proc.poll() is None

    def start(self) -> None:
        """Start the browser unless it is running; raise ExportUnavailable if it cannot."""
        with self._lock:
            if self.is_running():
                return
            self._stop_locked()
            path = find_chromium()
            if path is None:
                raise ExportUnavailable(f"No Chromium or Chrome found for PNG/SVG/PDF export. {INSTALL_HINT}")
            plotlyjs = local_plotlyjs()
            try:
                import kaleido
            except ImportError as e:  # pragma: no cover - kaleido is a dependency
                raise ExportUnavailable("kaleido is not installed: `pip install 'kaleido>=1.0'`.") from e

            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=loop.run_forever, name="optviz-kaleido", daemon=True)
            thread.start()
            browser_cls = _offline_chromium_cls()

            settled = threading.Event()

            async def _open() -> Any:
                try:
                    k = kaleido.Kaleido(
                        n=1,
                        timeout=RENDER_TIMEOUT_S,
                        plotlyjs=str(plotlyjs),
                        mathjax=False,
                        path=path,
                        browser_cls=browser_cls,
                        enable_extensions=False,
                    )
                    try:
                        await k.open()
                    except BaseException:  # incl. cancellation on timeout: leave no Chromium behind
                        with contextlib.suppress(Exception):
                            await k.close()
                        raise
                    return k
                finally:
                    settled.set()

            future = asyncio.run_coroutine_threadsafe(_open(), loop)
            try:
                k = future.result(timeout=START_TIMEOUT_S)
            except BaseException as e:
                future.cancel()
                settled.wait(timeout=20)
                _halt(loop, thread)
                detail = e.args[0] if e.args and isinstance(e.args[0], str) else str(e)
                reason = "timed out" if isinstance(e, FutureTimeout) else f"{type(e).__name__}: {detail}"
                raise ExportUnavailable(
                    f"Chromium at {path} could not be started for image export ({reason}). {INSTALL_HINT}"
                ) from e
            self._loop, self._thread, self._kaleido, self.browser_path = loop, thread, k, path
            if not self._atexit_registered:
                atexit.register(self.stop)
                self._atexit_registered = True
            _log.info("kaleido started with Chromium %s", path)

    def stop(self) -> None:
        """Close the browser and its thread (idempotent; registered with atexit)."""
        with self._lock:
            self._stop_locked()

    def _stop_locked(self) -> None:
        loop, thread, k = self._loop, self._thread, self._kaleido
        self._loop = self._thread = self._kaleido = None
        if loop is None:
            return
        if k is not None and thread is not None and thread.is_alive():
            try:
                asyncio.run_coroutine_threadsafe(k.close(), loop).result(timeout=15)
            except BaseException as e:  # noqa: BLE001 - best effort at shutdown
                _log.warning("closing kaleido failed: %s", e)
        _halt(loop, thread)

    # -- rendering ---------------------------------------------------------------------
    def render(self, fig: Any, opts: dict[str, Any]) -> bytes:
        """bytes of `fig` rendered with kaleido layout options `opts`; restarts a dead browser once."""
        from choreographer.errors import BrowserClosedError, BrowserFailedError, ChannelClosedError

        for attempt in (0, 1):
            self.start()
            loop, k = self._loop, self._kaleido
            if loop is None or k is None:  # stopped by another thread in between
                continue
            future = asyncio.run_coroutine_threadsafe(k.calc_fig(fig, opts=opts), loop)
            try:
                return future.result(timeout=RENDER_TIMEOUT_S + 10)
            except FutureTimeout as e:
                future.cancel()
                raise TimeoutError(f"kaleido did not render the figure within {RENDER_TIMEOUT_S + 10:.0f} s") from e
            except (BrowserClosedError, BrowserFailedError, ChannelClosedError):
                if attempt:
                    raise
                _log.warning("kaleido's Chromium went away; restarting it")
                self.stop()
        raise RuntimeError("kaleido server stopped while rendering")


_SERVER = KaleidoServer()


def kaleido_server() -> KaleidoServer:
    """The process-wide kaleido server (started on first use)."""
    return _SERVER


def warm_up(*, wait: bool = False) -> None:
    """Start the export browser now, so the first PNG/SVG export does not wait for Chromium to start
    (benchmarks/bench_export.py measures cold and warm exports).

    By default in a daemon thread (call it at app start-up); failures are only logged here,
    the next export raises them as `ExportUnavailable`.
    """
    def run() -> None:
        try:
            _SERVER.start()
        except ExportUnavailable as e:
            _log.info("image export unavailable: %s", e)

    if wait:
        run()
    else:
        threading.Thread(target=run, name="optviz-kaleido-warmup", daemon=True).start()


def chromium_available() -> bool:
    """Whether PNG/SVG/PDF export can work here (a Chromium is found; does not start it)."""
    try:
        return find_chromium() is not None
    except ExportUnavailable:
        return False


def _figure_dict(fig: Any) -> dict[str, Any]:
    if hasattr(fig, "to_dict"):
        return fig.to_dict()
    if isinstance(fig, dict) and "data" in fig:
        return fig
    raise TypeError(f"expected a plotly Figure or figure dict, got {type(fig).__name__}")


def _layout_size(fig: dict[str, Any], key: str) -> float | None:
    layout = fig.get("layout") or {}
    value = layout.get(key)
    if value is None:
        value = ((layout.get("template") or {}).get("layout") or {}).get(key)
    return value


def figure_to_image(
    fig: Any,
    fmt: ImageFormat = "png",
    width: int | None = None,
    height: int | None = None,
    scale: float = 1.0,
) -> bytes:
    """Render a figure to PNG, SVG or PDF bytes with kaleido and a local Chromium.

    Args:
      fig: a `go.Figure` or a figure dict.
      fmt: "png", "svg" or "pdf".
      width, height: size in CSS pixels; default the layout's, else 700 x 500.
      scale: pixel ratio; a PNG is exactly round(width*scale) x round(height*scale) pixels.

    Returns:
      The file's bytes.

    Raises:
      ExportUnavailable: no usable Chromium (the message says what to install).
      ValueError: unknown format or non-positive size/scale.
    """
    fmt = fmt.lower()  # type: ignore[assignment]
    if fmt not in IMAGE_FORMATS:
        raise ValueError(f"unknown image format {fmt!r}; expected one of {', '.join(IMAGE_FORMATS)}")
    if not scale > 0:
        raise ValueError(f"scale must be > 0, got {scale!r}")
    data = _figure_dict(fig)
    w = width if width is not None else _layout_size(data, "width") or DEFAULT_WIDTH
    h = height if height is not None else _layout_size(data, "height") or DEFAULT_HEIGHT
    if not (w > 0 and h > 0):
        raise ValueError(f"width and height must be > 0, got {w!r} x {h!r}")
    out = _SERVER.render(data, {"format": fmt, "width": w, "height": h, "scale": scale})
    if fmt == "png":
        out = _exact_png_size(out, (round(w * scale), round(h * scale)))
    return out


def _exact_png_size(png: bytes, size: tuple[int, int]) -> bytes:
    """The PNG at exactly `size` (plotly.js may be off by a pixel for fractional sizes)."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as im:
        if im.size == size:
            return png
        _log.debug("resizing kaleido PNG from %s to %s", im.size, size)
        buf = io.BytesIO()
        im.resize(size, Image.Resampling.LANCZOS).save(buf, format="PNG")
        return buf.getvalue()
