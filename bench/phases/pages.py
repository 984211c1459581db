"""The agent's pages, signed in: the queue and a case, at the data set's open cases."""

import re
import urllib.error
import urllib.parse
import urllib.request

from bench.common import AGENT_PASSWORD, ROOT, fail, say
from bench.measure import summarize, wrk


def login(bench) -> str:
    """Sign the agent in through /accounts/login/ and return the Cookie header."""
    jar = {}

    def remember(response):
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            jar[name.strip()] = rest.split(";", 1)[0]

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    with opener.open(f"{bench.base}/accounts/login/") as response:
        remember(response)
        page = response.read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode(
        {
            "username": bench.setup["agent"],
            "password": AGENT_PASSWORD,
            "csrfmiddlewaretoken": token,
        }
    ).encode()
    request = urllib.request.Request(
        f"{bench.base}/accounts/login/",
        data=form,
        headers={"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())},
    )
    try:
        opener.open(request)
    except urllib.error.HTTPError as exc:  # the 302 to /queue/ on success
        if exc.code != 302:
            fail(f"agent login failed: HTTP {exc.code}")
        remember(exc)
    if "sessionid" not in jar:
        fail("agent login failed: no session cookie")
    return f"Cookie: sessionid={jar['sessionid']}"


def measure(bench) -> None:
    cfg = bench.cfg
    say("pages: the agent queue and case pages, signed in as an agent")
    cookie = login(bench)
    cases = bench.sql(
        "SELECT id FROM cancellations_cancellationrequest WHERE status IN"
        " ('in_review', 'awaiting_customer') OR needs_attention"
        " ORDER BY md5(id::text) LIMIT 2000",
        fetch=True,
    )
    pages = {
        "queue": ["/queue/"],
        "case": [f"/queue/cases/{pk}/" for (pk,) in cases],
    }
    for name, paths in pages.items():
        path_file = bench.data / f"{name}.paths"
        path_file.write_text("".join(p + "\n" for p in paths))
        args = [str(path_file), "2"]
        wrk(cfg, bench.base, "get.lua", args, cfg.warmup, f"{name} warm-up", [cookie])
        runs = [
            wrk(
                cfg,
                bench.base,
                "get.lua",
                args,
                cfg.duration,
                f"{name} run {n}/{cfg.runs}",
                [cookie],
            )
            for n in range(1, cfg.runs + 1)
        ]
        for run in runs:
            if run["ok"] != run["requests"]:
                log = (bench.data / "gunicorn.log").relative_to(ROOT)
                fail(f"{name} page answered {run['statuses']}: see {log}")
        bench.results.setdefault("pages", {})[name] = summarize(
            runs, ["rps", "p50_ms", "p95_ms", "p99_ms"]
        )
