"""The DataLoader's worker processes as the main process holds them: started, sent messages,
read from, and stopped. The pool never refers to the iterator that uses it, so a
weakref.finalize on that iterator can stop the workers with every queue and pipe still intact,
even when the iterator dies in a reference cycle (an exception's traceback, say)."""
import multiprocessing
import multiprocessing.connection
import signal
import time

from chainrule.data.worker import loads, worker_loop

# Seconds between the main process's checks that its workers are alive while it waits.
POLL_INTERVAL = 1.0
# Seconds the workers get to stop when asked, before they are terminated.
SHUTDOWN_GRACE = 5.0


class WorkerPool:
    def __init__(self, context, num_workers, worker_args, base_seed):
        """worker_args: (dataset, batched, collate_fn, drop_last, worker_init_fn)."""
        self.processes, self.index_queues, self.readers = [], [], []
        self.closed = False
        try:
            for worker_id in range(num_workers):
                self._start(context, worker_args, base_seed, worker_id, num_workers)
        except BaseException:
            self.shutdown()
            raise

    def _start(self, context, worker_args, base_seed, worker_id, num_workers):
        dataset, batched, collate_fn, drop_last, init_fn = worker_args
        index_queue = context.Queue()
        reader, writer = context.Pipe(duplex=False)
        process = context.Process(
            target=worker_loop, daemon=True,
            args=(dataset, index_queue, writer, batched, collate_fn, drop_last, base_seed,
                  init_fn, worker_id, num_workers))
        self.index_queues.append(index_queue)
        self.readers.append(reader)
        try:
            process.start()
        except Exception as error:
            if context.get_start_method() == "fork":
                raise
            raise RuntimeError(
                f"DataLoader: starting worker {worker_id} with the {context.get_start_method()!r} "
                "start method pickles the dataset, collate_fn and worker_init_fn, and that "
                f"failed: {error}. Define them at the top level of a module") from error
        finally:
            # The worker's end: once closed here (before the next worker is forked), the pipe
            # reads as ended when that worker dies.
            writer.close()
        self.processes.append(process)

    def put(self, worker_id, message):
        self.index_queues[worker_id].put(message)

    def receive(self, timeout):
        """The next message from any worker; a worker's death or the timeout (seconds, 0 for
        none) raises RuntimeError, after stopping every worker."""
        deadline = time.monotonic() + timeout if timeout > 0 else None
        while True:
            wait = POLL_INTERVAL if deadline is None else min(POLL_INTERVAL,
                                                              deadline - time.monotonic())
            ready = multiprocessing.connection.wait(self.readers, max(wait, 0))
            if ready:
                try:
                    return loads(ready[0].recv_bytes())
                except EOFError:
                    self._raise_worker_died()
            if any(not process.is_alive() for process in self.processes):
                self._raise_worker_died()
            if deadline is not None and time.monotonic() >= deadline:
                self.shutdown(grace=0)   # a worker that is stuck is not waited for
                raise RuntimeError(f"DataLoader timed out after {timeout} seconds")

    def _raise_worker_died(self):
        for process in self.processes:
            process.join(0.1)
        dead = [f"pid {process.pid} {_exit_reason(process.exitcode)}"
                for process in self.processes if process.exitcode is not None]
        self.shutdown(grace=0)
        raise RuntimeError(f"DataLoader worker ({', '.join(dead) or 'pid unknown'}) exited "
                           "unexpectedly")

    def shutdown(self, grace=SHUTDOWN_GRACE):
        """Ask the workers to stop, read (and drop) what they are still sending so none stays
        blocked on a full pipe, terminate any that is not gone within grace seconds."""
        if self.closed:
            return
        self.closed = True
        for index_queue in self.index_queues:
            try:
                index_queue.put(None)
            except (OSError, ValueError):
                pass
        deadline = time.monotonic() + grace
        readers = list(self.readers)
        while (running := [p for p in self.processes if p.exitcode is None]) and readers \
                and time.monotonic() < deadline:
            sentinels = [process.sentinel for process in running]
            for ready in multiprocessing.connection.wait(readers + sentinels, 0.1):
                if ready in readers:
                    try:
                        ready.recv_bytes()
                    except (EOFError, OSError):
                        readers.remove(ready)
        for process in self.processes:
            _stop(process, max(0.0, deadline - time.monotonic()))
        for index_queue in self.index_queues:
            index_queue.cancel_join_thread()
            index_queue.close()
        for reader in self.readers:
            reader.close()


def _stop(process, grace):
    process.join(grace)
    if process.exitcode is None:
        process.terminate()
        process.join(1.0)
    if process.exitcode is None:
        process.kill()
        process.join()


def _exit_reason(code):
    if code is not None and code < 0:
        try:
            return f"killed by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"
