"""Run functions at the same moment in real threads, as concurrent requests would."""

import threading

from django.db import connection


def run_together(functions, *, catch=()):
    """Start every function behind one barrier; return their results in order.

    Exceptions of the `catch` types are returned as results. Each thread closes its own
    database connection, which Django opened for it.
    """
    barrier = threading.Barrier(len(functions))
    results = [None] * len(functions)

    def runner(i, fn):
        try:
            barrier.wait()
            results[i] = fn()
        except catch as error:
            results[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i, fn)) for i, fn in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results
