"""Where replications run: in this process, on a local process pool, or on a Dask cluster.

Every executor takes a picklable top-level function and a list of tasks and yields the
results as they finish (in any order); the caller orders them. The Dask executor uses the
``distributed`` package: a running cluster given by its scheduler address, or a local
cluster started for the experiment and closed after it.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any

from lygsim.errors import UsageError

LOCAL_DASK = "local"


def default_workers() -> int:
    """All the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def run_serial(fn: Callable[[Any], Any], tasks: Sequence[Any]) -> Iterator[Any]:
    """Run the tasks one after the other in this process."""
    for task in tasks:
        yield fn(task)


def _pool_context() -> multiprocessing.context.BaseContext:
    """How pool workers start.

    A replication takes a fraction of a second, so start-up cost decides whether a pool
    pays off at all.
    """
    if sys.platform.startswith("linux") and threading.active_count() == 1:
        # forking a single-threaded parent that has imported the model is safe and
        # costs milliseconds, against about a second for a fresh interpreter
        return multiprocessing.get_context("fork")
    if sys.platform.startswith("linux"):
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["lygsim.experiment", "lygsim.simulation"])
        return ctx
    return multiprocessing.get_context()  # pragma: no cover


PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
ORPHAN_CHECK_S = 0.5


def _exit_with_parent(main_pid: int, forked: bool) -> None:
    """Pool initializer: end this worker when the process that started it dies.

    A pool whose parent is killed (SIGKILL cannot be caught, so the pool is never shut
    down) would otherwise keep computing replications nobody will collect. On Linux the
    kernel sends SIGTERM when the parent dies; everywhere, a daemon thread notices that
    the worker has been handed to another parent and exits.
    """
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        except (OSError, AttributeError):  # pragma: no cover - no prctl: the thread remains
            pass
    parent = os.getppid()
    # with fork the parent is the main process; if it died before prctl took effect, the
    # worker has already been handed to another process
    if forked and parent != main_pid:
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(ORPHAN_CHECK_S)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="lygsim-orphan-check", daemon=True).start()


def run_pool(fn: Callable[[Any], Any], tasks: Sequence[Any], workers: int) -> Iterator[Any]:
    """Run the tasks on a local process pool of ``workers`` processes.

    The workers exit when this process dies, even by SIGKILL.
    """
    ctx = _pool_context()
    with ProcessPoolExecutor(
        max_workers=min(workers, len(tasks)) or 1,
        mp_context=ctx,
        initializer=_exit_with_parent,
        initargs=(os.getpid(), ctx.get_start_method() == "fork"),
    ) as pool:
        futures = [pool.submit(fn, t) for t in tasks]
        try:
            for fut in as_completed(futures):
                yield fut.result()
        except BaseException:
            for fut in futures:
                fut.cancel()
            raise


def run_dask(
    fn: Callable[[Any], Any], tasks: Sequence[Any], scheduler: str, workers: int
) -> Iterator[Any]:
    """Run the tasks on a Dask cluster: ``scheduler`` is an address or ``"local"``."""
    try:
        from distributed import Client, LocalCluster
        from distributed import as_completed as dask_completed
    except ImportError:
        raise UsageError("--scheduler needs Dask distributed: pip install 'lygsim[dask]'") from None
    cluster = None
    try:
        if scheduler == LOCAL_DASK:
            import dask

            # forked workers inherit the imported model and start in a fraction of the
            # time a fresh interpreter takes (Dask supports this start method on Linux)
            method = "fork" if sys.platform.startswith("linux") else "spawn"
            with dask.config.set({"distributed.worker.multiprocessing-method": method}):
                cluster = LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                )
            client = Client(cluster)
        else:
            try:
                client = Client(scheduler, timeout="10s")
            except (OSError, TimeoutError, ValueError) as exc:
                raise UsageError(
                    f"--scheduler {scheduler}: cannot reach a Dask scheduler ({exc})"
                ) from None
        with client:
            futures = client.map(fn, list(tasks), pure=False)
            for fut in dask_completed(futures):
                yield fut.result()
    finally:
        if cluster is not None:
            cluster.close()
