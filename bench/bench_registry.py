"""Load test of the public registry API at scale: search vs single EPD, served by gunicorn, measured by wrk.

    .venv/bin/python bench/bench_registry.py                       # 100,000 EPDs in database bench_registry
    .venv/bin/python bench/bench_registry.py --count 1000000 --database bench_registry_1m
    BENCH_DATABASE=bench_search .venv/bin/python bench/bench_registry.py --cold

A million EPDs are quicker made from 100,000 and nine copies (docs/benchmarks.md): `createdb -T bench_search
bench_search_1m`, then `manage.py generate_registry --count 0 --copies 9` on it.

1. Makes sure PostgreSQL database --database holds --count published EPDs (manage.py generate_registry; the
   database is created and migrated if missing, and kept for the next run).
2. Starts gunicorn (production settings: DEBUG off) on a free port with --workers processes.
3. Runs wrk with --connections concurrent clients for --duration seconds over a mix of search queries, then
   over single-EPD requests of random registration numbers. Over half of the searches carry text (`q`), built
   from EPDs that are there: a product name's words reordered and hyphenated or not, Chinese without spaces,
   grades and standards, manufacturer + product word, a registration number, with and without filters and
   orderings; the rest filter by category, country and route, GWP range, recycled content, manufacturer and
   validity date. Before timing, every distinct search of the mix is run once and must find at least one EPD
   (a search that finds nothing measures the wrong thing). --cold times the mix first, before anything warms.
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
from concurrent.futures import ThreadPoolExecutor
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
    """Search paths (a mix, more than half of them with text, each built from an EPD that is there, so every one
    finds something) and single-EPD paths."""
    with psycopg.connect(database_url(name)) as conn:
        latest = "SELECT registration_number FROM registry_registryentry WHERE is_latest ORDER BY random() LIMIT 2000"
        numbers = [r[0] for r in conn.execute(latest)]
        categories = [r[0] for r in conn.execute("SELECT DISTINCT category FROM registry_registryentry")]
        countries = [r[0] for r in conn.execute("SELECT DISTINCT country FROM registry_registryentry")]
        makers = conn.execute(
            "SELECT manufacturer_id, manufacturer_name FROM registry_registryentry ORDER BY random() LIMIT 300"
        ).fetchall()
        samples = conn.execute(
            "SELECT e.registration_number, e.product_name, e.product_name_zh, e.manufacturer_name, o.name_zh, e.category,"
            " e.country, p.document->'product'->'grades', p.document->'product'->'standards'"
            " FROM registry_registryentry e JOIN registry_publication p ON p.id = e.publication_id"
            " JOIN accounts_organization o ON o.id = e.manufacturer_id"
            " WHERE e.status = 'valid' AND e.is_latest ORDER BY random() LIMIT 500"
        ).fetchall()
    routes = ["bf_bof", "scrap_eaf", "dri_eaf"]
    searches = []
    for _ in range(2000):
        kind = rng.randrange(15)
        maker_id, _maker_name = rng.choice(makers)
        number, product, product_zh, maker, maker_zh, category, country, grades, standards = rng.choice(samples)
        words = [w for w in product.split() if not any(ch.isdigit() for ch in w)]
        params: dict[str, str] = {}
        if kind == 0:  # the words of a product name, reordered, hyphenated words split or not
            shuffled = rng.sample(words, len(words))
            params = {"q": " ".join(w if rng.random() < 0.5 else w.replace("-", " ") for w in shuffled)}
        elif kind == 1:  # Chinese, no spaces: the product's name or a part of it
            han = "".join(ch for ch in product_zh if "\u4e00" <= ch <= "\u9fff")
            params = {"q": han[: rng.randrange(2, len(han) + 1)] if len(han) > 2 else han or product}
        elif kind == 2:  # a grade or a standard, as a token
            params = {"q": rng.choice((grades or []) + (standards or []) or [product.split()[-1]])}
        elif kind == 3:  # a manufacturer word and a product word
            params = {"q": f"{maker.split()[0]} {rng.choice(words)}"}
        elif kind == 4:  # words and a country, cheapest first
            params = {"q": " ".join(words[-2:]), "country": country, "ordering": "gwp_a1a3"}
        elif kind == 5:  # a grade within the category group
            params = {"q": (grades or [words[0]])[0], "category": category.split(".")[0]}
        elif kind == 6:  # the manufacturer's Chinese name (part) or a category word, newest first
            params = {"q": maker_zh[:2] if maker_zh else words[0], "ordering": "-published_at"}
        elif kind == 7:  # a registration number
            params = {"q": number}
        elif kind == 8:
            params = {}
        elif kind == 9:
            params = {"category": rng.choice(categories), "ordering": "gwp_a1a3"}
        elif kind == 10:
            params = {"country": rng.choice(countries), "production_route": rng.choice(routes)}
        elif kind == 11:
            low = rng.randrange(300, 2000, 50)
            params = {"gwp_a1a3_min": str(low), "gwp_a1a3_max": str(low + 400), "ordering": "-published_at"}
        elif kind == 12:
            params = {"recycled_content_min": str(rng.randrange(10, 95, 5)), "category": rng.choice(categories)}
        elif kind == 13:
            params = {"manufacturer": str(maker_id)}
        else:
            params = {"valid_on": f"2027-0{rng.randrange(1, 9)}-15", "ordering": "valid_until"}
        searches.append("/api/v1/epds/" + (f"?{urllib.parse.urlencode(params)}" if params else ""))
    details = [f"/api/v1/epds/{number}/" for number in numbers]
    return searches, details


def check_paths(base: str, paths: list[str], *, must_find: bool = False) -> None:
    """Every path answers 200 (a broken mix is not a benchmark) and, with must_find, finds at least one EPD:
    timing searches that find nothing measures the wrong thing."""

    def check(path: str) -> str | None:
        with urllib.request.urlopen(base + path, timeout=60) as response:  # raises on 4xx/5xx
            body = json.loads(response.read())
        return path if must_find and not body["results"] else None

    with ThreadPoolExecutor(4) as pool:
        empty = [path for path in pool.map(check, sorted(set(paths))) if path]
    if empty:
        sys.exit(f"{len(empty)} searches of the mix find nothing, e.g. {empty[:5]}")


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
    parser.add_argument("--database", default=os.environ.get("BENCH_DATABASE", "bench_registry"))
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 2) * 2 + 1)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--cold", action="store_true", help="first run the search mix before any warm-up (right after loading)")
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
        cold = None
        if args.cold:  # right after loading: no request has run yet, nothing is warm but what loading left in memory
            cold = run_wrk(base, searches, args.connections, args.duration, workdir)
        text = sum("q=" in path for path in searches)
        print(f"search mix: {len(set(searches))} distinct paths, {text / len(searches):.0%} with text (q)", flush=True)
        started = time.perf_counter()
        check_paths(base, searches, must_find=True)  # also the cold-cache pass: each distinct search once
        print(f"every search of the mix finds an EPD (checked in {time.perf_counter() - started:.0f} s)", flush=True)
        check_paths(base, details[:20])
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
    for name, r in (("search (cold)", cold), ("search mix", search), ("single EPD", detail)):
        if r is None:
            continue
        print(f"{name:14}{r['p50_ms']:9.1f}{r['p95_ms']:9.1f}{r['p99_ms']:9.1f}{r['rps']:9.0f}{r['non_200'] + r['socket_errors']:9d}")
    print(f"search throughput = {ratio:.0%} of single-EPD")
    met = search["p95_ms"] <= 50 and search["rps"] >= 300 and ratio >= 0.4
    print(f"search targets (p95 <= 50 ms, >= 300 req/s, >= 40 %): {'met' if met else 'MISSED'}")
    print(f"single-EPD target (p99 <= 25 ms): {'met' if detail['p99_ms'] <= 25 else 'MISSED'}")


if __name__ == "__main__":
    main()
