"""Load test of the public registry API at scale: search vs single EPD, served by gunicorn, measured by wrk.

    .venv/bin/python bench/bench_registry.py                       # 100,000 EPDs in database bench_registry
    .venv/bin/python bench/bench_registry.py --count 1000000 --database bench_registry_1m

1. Makes sure PostgreSQL database --database holds --count published EPDs (manage.py generate_registry; the
   database is created and migrated if missing, and kept for the next run).
2. Starts gunicorn (production settings: DEBUG off) on a free port with --workers processes.
3. Runs wrk with --connections concurrent clients for --duration seconds over a mix of search queries
   (text, category, country and route, GWP range with ordering, recycled content, manufacturer, validity
   date, deep cursor pages), then over single-EPD requests of random registration numbers.
4. Prints p50/p95/p99 latency and requests/s of each, and search throughput as a share of the single-EPD one.

Targets (PRODUCT.md): search p95 ≤ 50 ms, ≥ 300 requests/s, ≥ 40 % of the single-EPD throughput;
single EPD p99 ≤ 25 ms.
"""

import argparse
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
GUNICORN = str(Path(PYTHON).with_name("gunicorn"))

WRK_SCRIPT = r"""
local paths = {}
for line in io.lines(os.getenv("BENCH_PATHS")) do paths[#paths + 1] = line end
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1], {["Accept"] = "application/json"})
end
local errors = 0
response = function(status, headers, body)
  if status ~= 200 then errors = errors + 1 end
end
done = function(summary, latency, requests)
  io.write(string.format('BENCH {"requests": %d, "seconds": %.3f, "p50_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f, '
    .. '"non_200": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, summary.errors.status, summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url(name: str) -> str:
    return f"postgres://postgres@127.0.0.1:5432/{name}"


def ensure_data(name: str, count: int, env: dict) -> None:
    with psycopg.connect(database_url("postgres"), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    with psycopg.connect(database_url(name)) as conn:
        have = conn.execute("SELECT count(*) FROM registry_registryentry").fetchone()[0]
    if have < count:
        print(f"generating {count - have} EPDs (have {have}) …", flush=True)
        started = time.perf_counter()
        subprocess.run([PYTHON, "manage.py", "generate_registry", "--count", str(count - have)], cwd=ROOT, env=env, check=True)
        print(f"generated in {time.perf_counter() - started:.0f} s", flush=True)
    with psycopg.connect(database_url(name), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def query_mix(name: str, rng: random.Random) -> tuple[list[str], list[str]]:
    """Search paths (a mix, built from values present in the data) and single-EPD paths."""
    with psycopg.connect(database_url(name)) as conn:
        latest = "SELECT registration_number FROM registry_registryentry WHERE is_latest ORDER BY random() LIMIT 2000"
        numbers = [r[0] for r in conn.execute(latest)]
        categories = [r[0] for r in conn.execute("SELECT DISTINCT category FROM registry_registryentry")]
        countries = [r[0] for r in conn.execute("SELECT DISTINCT country FROM registry_registryentry")]
        makers = conn.execute(
            "SELECT manufacturer_id, manufacturer_name FROM registry_registryentry ORDER BY random() LIMIT 300"
        ).fetchall()
    routes = ["bf_bof", "scrap_eaf", "dri_eaf"]
    searches = []
    for _ in range(2000):
        kind = rng.randrange(9)
        maker_id, maker_name = rng.choice(makers)
        params: dict[str, str] = {}
        if kind == 0:
            params = {}
        elif kind == 1:
            params = {"q": rng.choice(["rebar", "coil", "plate", "sections", "wire", "galvan", "stainless"])}
        elif kind == 2:
            params = {"q": maker_name.split()[0].lower()}
        elif kind == 3:
            params = {"category": rng.choice(categories), "ordering": "gwp_a1a3"}
        elif kind == 4:
            params = {"country": rng.choice(countries), "production_route": rng.choice(routes)}
        elif kind == 5:
            low = rng.randrange(300, 2000, 50)
            params = {"gwp_a1a3_min": str(low), "gwp_a1a3_max": str(low + 400), "ordering": "-published_at"}
        elif kind == 6:
            params = {"recycled_content_min": str(rng.randrange(10, 95, 5)), "category": rng.choice(categories)}
        elif kind == 7:
            params = {"manufacturer": str(maker_id)}
        else:
            params = {"valid_on": f"2027-0{rng.randrange(1, 9)}-15", "ordering": "valid_until"}
        searches.append("/api/v1/epds/" + (f"?{urllib.parse.urlencode(params)}" if params else ""))
    details = [f"/api/v1/epds/{number}/" for number in numbers]
    return searches, details


def check_paths(base: str, paths: list[str]) -> None:
    for path in paths:
        with urllib.request.urlopen(base + path, timeout=30) as response:  # raises on 4xx/5xx: a broken mix is not a benchmark
            json.loads(response.read())


def run_wrk(base: str, paths: list[str], connections: int, duration: int, workdir: Path) -> dict:
    path_file = workdir / f"paths-{len(paths)}-{random.random()}.txt"
    path_file.write_text("\n".join(paths) + "\n")
    script = workdir / "mix.lua"
    script.write_text(WRK_SCRIPT)
    out = subprocess.run(
        ["wrk", "-t", str(min(connections, 2)), "-c", str(connections), "-d", f"{duration}s", "--latency", "-s", str(script), base],
        env={**os.environ, "BENCH_PATHS": str(path_file)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(line for line in out.splitlines() if line.startswith("BENCH "))
    result = json.loads(line[len("BENCH ") :])
    result["rps"] = result["requests"] / result["seconds"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--database", default="bench_registry")
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 2) * 2 + 1)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (apt-get install wrk)")

    workdir = Path(tempfile.mkdtemp(prefix="bench-registry-"))
    env = {
        **os.environ,
        "DATABASE_URL": database_url(args.database),
        "DEBUG": "False",
        "SECRET_KEY": "bench-" + os.urandom(24).hex(),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "False",
        "MEDIA_ROOT": str(workdir / "media"),
        "SIGNING_KEY_DIR": str(workdir / "keys"),
        "THROTTLE_ANON": "1000000/second",
        "THROTTLE_USER": "1000000/second",
    }
    env.pop("REDIS_URL", None)
    ensure_data(args.database, args.count, env)
    searches, details = query_mix(args.database, random.Random(args.seed))

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = (workdir / "gunicorn.log").open("w")
    server = subprocess.Popen(
        # As in production (Dockerfile): no access log in gunicorn, the proxy in front keeps it.
        [GUNICORN, "epd_platform.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers)],
        cwd=ROOT,
        env={**env, "GUNICORN_CMD_ARGS": ""},
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        check_paths(base, searches[:50] + details[:20])
        run_wrk(base, searches, args.connections, 3, workdir)  # warm-up: connections, caches
        search = run_wrk(base, searches, args.connections, args.duration, workdir)
        run_wrk(base, details, args.connections, 3, workdir)  # warm-up: each worker's category percentile cache
        detail = run_wrk(base, details, args.connections, args.duration, workdir)
    finally:
        server.terminate()
        server.wait(20)
    ratio = search["rps"] / detail["rps"]
    print(f"\nregistry of {args.count:,} EPDs, gunicorn {args.workers} workers, wrk {args.connections} connections, {args.duration} s each")
    print(f"{'':14}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'req/s':>9}{'non-200':>9}")
    for name, r in (("search mix", search), ("single EPD", detail)):
        print(f"{name:14}{r['p50_ms']:9.1f}{r['p95_ms']:9.1f}{r['p99_ms']:9.1f}{r['rps']:9.0f}{r['non_200'] + r['socket_errors']:9d}")
    print(f"search throughput = {ratio:.0%} of single-EPD")
    met = search["p95_ms"] <= 50 and search["rps"] >= 300 and ratio >= 0.4
    print(f"search targets (p95 <= 50 ms, >= 300 req/s, >= 40 %): {'met' if met else 'MISSED'}")
    print(f"single-EPD target (p99 <= 25 ms): {'met' if detail['p99_ms'] <= 25 else 'MISSED'}")


if __name__ == "__main__":
    main()
