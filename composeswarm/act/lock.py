"""The deploy lock: a config object `<stack>_composeswarm-lock` held in the swarm, so it works from any machine.

Creating a config whose name is taken is refused by the engine (409), so the create IS the acquisition.
Its labels name the holder (host, pid, user, started) and when it was last refreshed; the holder
refreshes them while it runs. A lock not refreshed for `STALE_AFTER` seconds (or held on this host by
a process that is gone) is taken over. The lock carries no stack label, so `read_stack`, `ls`, `rm`
and `docker stack ls` never see it as part of the stack. The decisions (whose, expired?) are pure
functions; `acquire`/`hold_lock`/`unlock` make the calls through the gateway's config methods.
"""

from __future__ import annotations

import dataclasses
import getpass
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Protocol

from composeswarm.errors import EngineError

Json = dict[str, Any]

LOCK_SUFFIX = "_composeswarm-lock"
STALE_AFTER = 60.0  # seconds without a refresh after which a lock is taken over
REFRESH_EVERY = 10.0  # well inside STALE_AFTER, so a slow call or two never lets a live lock expire
POLL_EVERY = 1.0  # how often a waiting run looks at the lock again
_LABEL = "io.composeswarm.lock."
_DATA = b"composeswarm deploy lock\n"  # an engine config must hold some data


class LockGateway(Protocol):
    """The engine calls the lock needs (composeswarm.engine.gateway.Engine has them)."""

    def list_configs(self, names: list[str] | None = None) -> list[Json]: ...
    def create_config(self, spec: Json) -> str: ...
    def update_config(self, ident: str, version: int, spec: Json) -> None: ...
    def remove_config(self, ident: str, name: str | None = None) -> None: ...


@dataclass(frozen=True, slots=True)
class Holder:
    """Who holds a lock, as its labels say; times are engine-style UTC strings ("" when unknown)."""

    host: str
    pid: int
    user: str
    started: str
    refreshed: str
    machine: str = ""  # boot and pid namespace: the same pid names the same process only where this matches
    ident: str = ""  # the config's ID: removals go by ID, so a lock taken over by another run is never removed
    version: int = 0

    def describe(self) -> str:
        """`HOST (pid N) since TIME`, as the messages name a holder."""
        return f"{self.host or '?'} (pid {self.pid}) since {self.started or '?'}"


@dataclass(frozen=True, slots=True)
class LockOptions:
    """How a run takes the lock: wait up to `timeout` seconds (0: fail at once); callbacks for render."""

    timeout: float
    on_wait: Callable[[str, Holder], None] = lambda stack, holder: None
    on_takeover: Callable[[str, Holder, str], None] = lambda stack, holder, why: None
    on_held: Callable[[str, Holder | None], None] = lambda stack, holder: None  # a dry run: who holds it
    refresh_every: float = REFRESH_EVERY
    stale_after: float = STALE_AFTER

    def hold(self, gateway: Any, stack: str) -> AbstractContextManager[HeldLock]:
        """`hold_lock` with these options (how ops/remove, which may not import act, takes it)."""
        return hold_lock(gateway, stack, self)


# --- pure decisions ---------------------------------------------------------------------------------


def lock_name(stack: str) -> str:
    """The lock config's name for a stack."""
    return stack + LOCK_SUFFIX


def stamp(wall: float) -> str:
    """A wall-clock time as a UTC label value (second precision: labels are read by people too)."""
    return datetime.fromtimestamp(wall, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_stamp(value: str) -> float | None:
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()
    except ValueError:
        return None


def me(wall: float) -> Holder:
    """This process as a holder, started and refreshed at `wall`."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (a container with a bare uid)
        user = str(os.getuid())
    now = stamp(wall)
    return Holder(host=socket.gethostname(), pid=os.getpid(), user=user, started=now, refreshed=now, machine=_machine())


def _machine() -> str:
    """This boot of this machine and this pid namespace ("" when unknown: then no pid is checked)."""
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as f:
            boot = f.read().strip()
        return f"{boot}/{os.readlink('/proc/self/ns/pid')}"
    except OSError:
        return ""


def lock_spec(stack: str, holder: Holder) -> Json:
    """The config spec that records `holder` (create and refresh send the same shape)."""
    labels = {
        _LABEL + "host": holder.host, _LABEL + "pid": str(holder.pid), _LABEL + "user": holder.user,
        _LABEL + "started": holder.started, _LABEL + "refreshed": holder.refreshed,
        _LABEL + "machine": holder.machine,
    }
    return {"Name": lock_name(stack), "Labels": labels, "Data": _DATA}


def find_lock(configs: list[Json], stack: str) -> Holder | None:
    """The holder of the stack's lock among listed configs (the name filter matches prefixes: exact only)."""
    for config in configs:
        spec = config.get("Spec") or {}
        if spec.get("Name") != lock_name(stack):
            continue
        labels = spec.get("Labels") or {}
        pid = labels.get(_LABEL + "pid", "")
        return Holder(
            host=labels.get(_LABEL + "host", ""), pid=int(pid) if pid.isdigit() else 0,
            user=labels.get(_LABEL + "user", ""), started=labels.get(_LABEL + "started", ""),
            refreshed=labels.get(_LABEL + "refreshed", ""), machine=labels.get(_LABEL + "machine", ""),
            ident=str(config.get("ID", "")),
            version=int((config.get("Version") or {}).get("Index", 0)),
        )
    return None


def expiry(holder: Holder, wall: float, stale_after: float, *, machine: str, alive: Callable[[int], bool]) -> str | None:
    """Why the lock may be taken over (its holder stopped refreshing it, or is gone), or None while it holds.

    A lock without a readable refresh time was not made by a live composeswarm: expired.
    """
    if machine and holder.machine == machine and holder.pid > 0 and not alive(holder.pid):
        return f"its process {holder.pid} on this machine is gone"  # a killed run here: no need to wait out the bound
    refreshed = _parse_stamp(holder.refreshed)
    if refreshed is None:
        return "it has no refresh time"
    if wall - refreshed > stale_after:
        return f"not refreshed since {holder.refreshed} (more than {stale_after:g}s)"
    return None


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists on this machine."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    return True


def held_message(stack: str, holder: Holder, waited: float) -> str:
    """Why a run gave up waiting, naming the holder and the way out."""
    return (
        f"the deploy lock of {stack} is held by {holder.describe()}"
        + (f" (user {holder.user})" if holder.user else "")
        + (f"; gave up after {waited:g}s" if waited > 0 else "")
        + f'; if that run is gone, "composeswarm unlock {stack}" removes the lock'
    )


# --- the engine calls -------------------------------------------------------------------------------


def read_lock(gateway: LockGateway, stack: str) -> Holder | None:
    """Who holds the stack's lock now, or None: one list call."""
    return find_lock(gateway.list_configs([lock_name(stack)]), stack)


class HeldLock:
    """A lock this run holds: refresh its labels, release it (only if it is still this run's)."""

    def __init__(self, gateway: LockGateway, stack: str, holder: Holder, wall: Callable[[], float]) -> None:
        self._gateway, self.stack, self.holder, self._wall = gateway, stack, holder, wall
        self._mutex = threading.Lock()  # the refresh thread and release never send at the same time
        self.lost = False  # another run removed or took over the lock

    def refresh(self) -> None:
        """Write a new refresh time into the labels; a lock gone from under us is marked lost."""
        with self._mutex:
            if self.lost:
                return
            fresh = dataclasses.replace(self.holder, refreshed=stamp(self._wall()))
            try:
                self._gateway.update_config(fresh.ident, fresh.version, lock_spec(self.stack, fresh))
            except EngineError as exc:
                if exc.status == 404:
                    self.lost = True
                    return
                raise
            self.holder = dataclasses.replace(fresh, version=fresh.version + 1)

    def release(self) -> None:
        """Remove the lock (by ID: never a lock another run has taken over since)."""
        with self._mutex:
            if self.lost:
                return
            self.lost = True
            try:
                self._gateway.remove_config(self.holder.ident, lock_name(self.stack))
            except EngineError as exc:
                if exc.status != 404:
                    raise


def acquire(
    gateway: LockGateway,
    stack: str,
    opts: LockOptions,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    wall: Callable[[], float] = time.time,
    alive: Callable[[int], bool] = pid_alive,
) -> HeldLock:
    """Take the stack's lock, waiting up to `opts.timeout`; EngineError naming the holder when it runs out."""
    deadline = clock() + opts.timeout
    told: Holder | None = None
    while True:
        mine = me(wall())
        try:
            ident = gateway.create_config(lock_spec(stack, mine))
            lock = HeldLock(gateway, stack, dataclasses.replace(mine, ident=ident, version=0), wall)
            _version_after_create(gateway, lock)
            return lock
        except EngineError as exc:
            if exc.status != 409:
                raise
        holder = read_lock(gateway, stack)
        if holder is None:
            continue  # released between our create and our read: try again at once
        why = expiry(holder, wall(), opts.stale_after, machine=mine.machine, alive=alive)
        if why is not None:
            opts.on_takeover(stack, holder, why)
            try:
                gateway.remove_config(holder.ident, lock_name(stack))
            except EngineError as exc:
                if exc.status != 404:  # 404: another run took it over first; the create decides
                    raise
            continue
        left = deadline - clock()
        if left <= 0:
            raise EngineError(held_message(stack, holder, opts.timeout))
        if told is None or (told.ident, told.started) != (holder.ident, holder.started):
            opts.on_wait(stack, holder)  # once per holder, not once per poll
            told = holder
        sleep(min(POLL_EVERY, left))


def _version_after_create(gateway: LockGateway, lock: HeldLock) -> None:
    """The created config's version index (the create answers the ID only; a refresh needs the version)."""
    held = read_lock(gateway, lock.stack)
    if held is not None and held.ident == lock.holder.ident:
        lock.holder = dataclasses.replace(lock.holder, version=held.version)


@contextmanager
def hold_lock(gateway: LockGateway, stack: str, opts: LockOptions, **kwargs: Any) -> Iterator[HeldLock]:
    """Hold the stack's lock for the block: refreshed by a background thread, removed at the end (errors, Ctrl-C too)."""
    lock = acquire(gateway, stack, opts, **kwargs)
    stop = threading.Event()

    def refresher() -> None:
        while not stop.wait(opts.refresh_every):
            try:
                lock.refresh()
            except EngineError:
                pass  # a refresh that fails is tried again; the bound leaves room for several

    thread = threading.Thread(target=refresher, name=f"lock-{stack}", daemon=True)
    failed = False
    try:
        thread.start()
        yield lock
    except BaseException:
        failed = True
        raise
    finally:
        stop.set()
        if thread.is_alive():
            thread.join(timeout=5)
        try:
            lock.release()
        except EngineError:
            # the block's own error says more (an engine gone away): a lock left behind is taken
            # over, by a rerun on this host at once (its pid is gone), elsewhere after STALE_AFTER
            if not failed:
                raise


def unlock(gateway: LockGateway, stack: str) -> Holder:
    """Remove the stack's lock by hand; EngineError when none is held."""
    holder = read_lock(gateway, stack)
    if holder is None:
        raise EngineError(f"no deploy lock of {stack} is held")
    try:
        gateway.remove_config(holder.ident, lock_name(stack))
    except EngineError as exc:
        if exc.status != 404:
            raise
    return holder
