#!/usr/bin/env python3
"""Benchmarks engram side by side with Brian2 and writes docs/benchmarks.md.

One command runs every benchmark network in engram and in Brian2 (C++ standalone, one
thread without OpenMP; and runtime mode), alternating runs, several repetitions, and
reports medians of the simulation time, the build time, the peak memory, and per population
the spike count, the mean rate and the mean CV of inter-spike intervals; it checks that both
simulators produce the same activity (rates within 10 %, CVs within 0.1). It also runs the
thread-scaling runs, a Brunel-like scaling series at a fixed in-degree of 1000, the
micro-benchmarks (engram_micro) and the measurement of bytes per synapse
(memory_per_synapse). Results: OUT/latest.json, OUT/latest.md, a figure, and (full runs)
the section of docs/benchmarks.md between its results markers.

  python3 bench/compare.py --engram build/apps/engram            # the full run (~25 min)
  python3 bench/compare.py --quick                                # small scaling series
  python3 bench/compare.py --smoke --out /tmp/smoke               # seconds; CI's bench_smoke
  python3 bench/compare.py --report-only                          # redo tables, figure, docs

Brian2, numpy, h5py and matplotlib are optional (bench/install-bench-deps.sh installs them):
without Brian2 only engram runs, without h5py spikes are read with h5dump, without
matplotlib there is no figure. Exit status: 0, or 3 when the activity check failed in a
full or quick run.
"""
import argparse
import importlib.metadata
import importlib.util
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
OPTIONAL = ("numpy", "h5py", "matplotlib", "brian2")
SYSTEM_PYTHON = "/usr/bin/python3"


def missing_modules(python=None):
    """Optional modules an interpreter lacks (None when it cannot be run)."""
    if python is None:
        return [m for m in OPTIONAL if importlib.util.find_spec(m) is None]
    code = ("import importlib.util as u; print(' '.join(m for m in %r if u.find_spec(m) is None))"
            % (OPTIONAL,))
    try:
        r = subprocess.run([python, "-c", code], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return r.stdout.split() if r.returncode == 0 else None


def reexec_with_system_python():
    """Debian's packages (python3-brian, -numpy, -h5py, -matplotlib) live in the system
    interpreter; when `python3` is another one (pyenv, a venv) that lacks them, run there."""
    if os.environ.get("ENGRAM_BENCH_REEXEC"):
        return
    mine = missing_modules()
    if not mine or not os.path.exists(SYSTEM_PYTHON):
        return
    if os.path.realpath(SYSTEM_PYTHON) == os.path.realpath(sys.executable):
        return
    theirs = missing_modules(SYSTEM_PYTHON)
    if theirs is not None and len(theirs) < len(mine):
        env = dict(os.environ, ENGRAM_BENCH_REEXEC="1")
        os.execve(SYSTEM_PYTHON, [SYSTEM_PYTHON, str(Path(__file__).resolve())] + sys.argv[1:],
                  env)


if __name__ == "__main__":  # importing the module (for one of its functions) runs nothing
    reexec_with_system_python()
sys.path.insert(0, str(HERE))
import report  # noqa: E402
import spikes  # noqa: E402

GIB = 1 << 30
FIXED = [  # key, title, description, simulated ms (full, smoke), set in every population
    ("coba", "COBA", REPO / "examples/vogels_abbott_coba.json", 10000.0, 100.0, {}),
    # The same network integrated by forward Euler in engram too, as Brian2 does.
    ("coba_euler", "COBA, Euler", REPO / "examples/vogels_abbott_coba.json", 10000.0, 100.0,
     {"integration": "euler"}),
    ("cuba", "CUBA", REPO / "examples/vogels_abbott_cuba.json", 10000.0, 100.0, {}),
    ("brunel", "Brunel", REPO / "examples/brunel_2000.json", 1000.0, 50.0, {}),
]
SCALING_TEMPLATE = HERE / "networks/brunel_scaling.json"


def log(message):
    print(message, file=sys.stderr, flush=True)


class LoadSampler(threading.Thread):
    """Samples the 1-minute load average every few seconds while the benchmarks run: above
    the number of cores, the simulators shared the machine with other work."""

    def __init__(self, period=5.0):
        super().__init__(daemon=True)
        self.period, self.samples, self.stop = period, [], threading.Event()

    def run(self):
        while not self.stop.is_set():
            self.samples.append(os.getloadavg()[0])
            self.stop.wait(self.period)

    def summary(self):
        self.stop.set()
        if not self.samples:
            return None
        return {"mean": sum(self.samples) / len(self.samples), "max": max(self.samples),
                "samples": len(self.samples)}


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


# ---------------------------------------------------------------------------------------
# Running programs


class Measured:
    def __init__(self, code, out, err, wall, rss, cpu):
        self.code, self.out, self.err, self.wall, self.rss = code, out, err, wall, rss
        self.cpu = cpu  # user + system seconds of the whole process (None without GNU time)


GNU_TIME = "/usr/bin/time"


def _gnu_time_works():
    try:
        r = subprocess.run([GNU_TIME, "-f", "%M", "true"], capture_output=True, text=True)
        return r.returncode == 0 and r.stderr.strip().isdigit()
    except OSError:
        return False


HAVE_GNU_TIME = _gnu_time_works()


def _vm_hwm(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            m = re.search(r"^VmHWM:\s+(\d+) kB", f.read(), re.M)
        return int(m.group(1)) * 1024 if m else None
    except OSError:
        return None


def measured(cmd, cwd=None):
    """Runs cmd; returns its exit code, output, wall-clock time and peak resident memory.

    The peak comes from GNU time (%M), which forks the program from its own small image:
    the ru_maxrss that wait4 reports to this Python process would include the Python
    image the child was forked from. Without GNU time, the child's VmHWM is polled."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r") as peak:
        cmd = [str(c) for c in cmd]
        if HAVE_GNU_TIME:
            cmd = [GNU_TIME, "-q", "-f", "%M %U %S", "-o", peak.name] + cmd
        start = time.perf_counter()
        p = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err)
        hwm = None
        while not HAVE_GNU_TIME and p.poll() is None:
            hwm = _vm_hwm(p.pid) or hwm
            time.sleep(0.01)
        p.wait()
        wall = time.perf_counter() - start
        cpu = None
        if HAVE_GNU_TIME:
            lines = peak.read().strip().splitlines()
            fields = lines[-1].split() if lines else []
            if len(fields) == 3:
                hwm, cpu = int(fields[0]) * 1024, float(fields[1]) + float(fields[2])
        out.seek(0)
        err.seek(0)
        return Measured(p.returncode, out.read().decode(errors="replace"),
                        err.read().decode(errors="replace"), wall, hwm, cpu)


SUMMARY_NETWORK = re.compile(
    r"^network\s+.*?: ([\d,]+) neurons, ([\d,]+) synapses(?: \(([\d.]+) bytes each\))?", re.M)
SUMMARY_TIME = re.compile(r"^time\s+build ([\d.]+) s, simulation ([\d.]+) s"
                          r"(?: \(processor ([\d.]+) s\))?", re.M)
SUMMARY_POPULATION = re.compile(r"^(\S+)\s+([\d,]+)\s+([\d,]+)\s+([\d.]+)$", re.M)
SUMMARY_PHASES = re.compile(r"^phases\s+update ([\d.]+) s, delivery ([\d.]+) s, "
                            r"reporting ([\d.]+) s", re.M)
SUMMARY_THREADS = re.compile(r"^threads\s+busy ([\d., ]+) s", re.M)


def number(text):
    return int(text.replace(",", ""))


def run_engram(ctx, network, duration, output, threads=None, timers=False):
    cmd = [ctx.engram, "run", network, "--duration", f"{duration:g}", "-o", output]
    if threads:
        cmd += ["--threads", str(threads)]
    if timers:
        cmd += ["--timers"]
    r = measured(cmd)
    if r.code != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed ({r.code}): {r.err.strip()}")
    net, tm = SUMMARY_NETWORK.search(r.out), SUMMARY_TIME.search(r.out)
    if not net or not tm:
        raise RuntimeError(f"cannot read engram's summary:\n{r.out}")
    populations = {m.group(1): {"neurons": number(m.group(2)), "spikes": number(m.group(3)),
                                "rate_hz": float(m.group(4))}
                   for m in SUMMARY_POPULATION.finditer(r.out)}
    # One thread: the loop's processor time, like Brian2 standalone's std::clock (on a busy
    # machine wall time would count the waiting too); several threads: wall-clock time.
    sim_wall = float(tm.group(2))
    sim = float(tm.group(3)) if tm.group(3) and not threads else sim_wall
    out = {"sim_s": sim, "sim_wall_s": sim_wall, "build_s": float(tm.group(1)), "wall_s": r.wall,
           "cpu_s": r.cpu, "peak_rss_bytes": r.rss, "neurons": number(net.group(1)),
           "synapses": number(net.group(2)),
           "bytes_per_synapse": float(net.group(3)) if net.group(3) else None,
           "populations": populations}
    phases, per_thread = SUMMARY_PHASES.search(r.out), SUMMARY_THREADS.search(r.out)
    if phases:
        out["phases"] = {"update_s": float(phases.group(1)), "delivery_s": float(phases.group(2)),
                         "reporting_s": float(phases.group(3))}
        if per_thread:
            out["phases"]["busy_s"] = [float(x) for x in per_thread.group(1).split(",")]
    return out


def brian2_build(ctx, network, duration, directory):
    shutil.rmtree(directory, ignore_errors=True)
    r = measured([ctx.brian_python, HERE / "brian2_models.py", "build-standalone", network,
                  "--duration", f"{duration:g}", "--dir", directory])
    if r.code != 0:
        raise RuntimeError(f"Brian2 standalone build failed:\n{r.err[-3000:]}")
    info = json.loads(r.out)
    info["build_wall_s"] = r.wall
    return info


def brian2_run(project):
    """Runs a built standalone project's binary: its wall-clock time, peak memory, and the
    time of the simulation loop alone (Brian2 writes it to results/last_run_info.txt)."""
    d = project["dir"]
    info = os.path.join(d, "results", "last_run_info.txt")
    if os.path.exists(info):
        os.remove(info)
    r = measured([os.path.join(d, project["binary"])], cwd=d)
    if r.code != 0:
        raise RuntimeError(f"Brian2 binary failed ({r.code}): {r.err[-2000:]}")
    with open(info) as f:
        loop = float(f.read().split()[0])
    return {"sim_s": loop, "build_s": r.wall - loop, "wall_s": r.wall, "cpu_s": r.cpu,
            "peak_rss_bytes": r.rss}


def brian2_runtime(ctx, network, duration, spike_dir):
    r = measured([ctx.brian_python, HERE / "brian2_models.py", "run-runtime", network,
                  "--duration", f"{duration:g}", "--target", ctx.runtime_target,
                  "--spikes", spike_dir])
    if r.code != 0:
        raise RuntimeError(f"Brian2 runtime run failed:\n{r.err[-3000:]}")
    info = json.loads(r.out)
    return {"sim_s": info["sim_s"], "build_s": info["build_s"], "prepare_s": info["prepare_s"],
            "wall_s": r.wall, "peak_rss_bytes": r.rss, "spike_files": info["spike_files"]}


# ---------------------------------------------------------------------------------------
# Networks


def expected_events_per_spike(spec):
    """Mean number of synapses a spike of each population reaches (its mean out-degree)."""
    sizes = {p["name"]: p["size"] for p in spec["populations"]}
    out = {name: 0.0 for name in sizes}
    for pr in spec.get("projections", []):
        pre, post, c = pr["pre"], pr["post"], pr["connector"]
        if c["type"] == "FixedNumberPre":
            out[pre] += c["n"] * sizes[post] / sizes[pre]
        elif c["type"] == "FixedProbability":
            self_ = pre == post and not c.get("allow_self_connections", True)
            out[pre] += c["p"] * (sizes[post] - (1 if self_ else 0))
    return out


def variant_network(path, settings, directory, key):
    """path itself, or a copy in directory with `settings` set in every population."""
    if not settings:
        return str(path)
    with open(path) as f:
        spec = json.load(f)
    for pop in spec["populations"]:
        pop.update(settings)
    out = os.path.join(directory, f"{key}.json")
    with open(out, "w") as f:
        json.dump(spec, f, indent=1)
    return out


def scaling_network(n, directory, duration):
    with open(SCALING_TEMPLATE) as f:
        spec = json.load(f)
    n_exc = n * 4 // 5
    spec["name"] = f"brunel_scaling_{n}"
    spec["duration"] = duration
    spec["populations"][0]["size"] = n_exc
    spec["populations"][1]["size"] = n - n_exc
    path = os.path.join(directory, f"brunel_scaling_{n}.json")
    with open(path, "w") as f:
        json.dump(spec, f, indent=1)
    return path


def engram_estimate_bytes(ctx, path):
    r = subprocess.run([ctx.engram, "validate", path], capture_output=True, text=True)
    m = re.search(r"about ([\d.]+) MiB", r.stdout)
    return float(m.group(1)) * (1 << 20) if m else None


def largest_fitting(ctx, directory, limit=16 * GIB):
    """Largest size of the series (2,500 doubling) whose engram estimate fits in `limit`."""
    n, best = 2500, None
    while n <= 1 << 26:
        estimate = engram_estimate_bytes(ctx, scaling_network(n, directory, 1000.0))
        if estimate is None or estimate > limit:
            break
        best, n = (n, estimate), n * 2
    return best


def bench_network(ctx, key, title, path, duration, brian_modes, runtime_repeats=None):
    """Runs one network in engram and Brian2, alternating, ctx.repeats times."""
    with open(path) as f:
        spec = json.load(f)
    sizes = {p["name"]: p["size"] for p in spec["populations"]}
    work = os.path.join(ctx.work, key)
    os.makedirs(work, exist_ok=True)
    entry = {"key": key, "title": title, "file": os.path.relpath(path, REPO),
             "duration_ms": duration, "neurons": sum(sizes.values()), "errors": []}
    project = None
    if "standalone" in brian_modes:
        log(f"[{key}] Brian2 standalone: code generation and compilation")
        try:
            project = brian2_build(ctx, path, duration, os.path.join(work, "brian2_standalone"))
            entry["brian2_standalone"] = {"codegen_compile_s": project["codegen_compile_s"],
                                          "compile_args": project["compile_args"],
                                          "dir": project["dir"],
                                          "spike_files": project["spike_files"], "runs": []}
        except RuntimeError as e:
            entry["errors"].append(str(e))
            log(f"[{key}] {e}")
    runtime = "runtime" in brian_modes
    if runtime:
        entry["brian2_runtime"] = {"target": ctx.runtime_target, "runs": []}
    entry["engram"] = {"runs": []}
    output = os.path.join(work, "engram.h5")
    runtime_spikes = os.path.join(work, "brian2_runtime")
    if runtime_repeats is None:
        runtime_repeats = ctx.repeats
    for rep in range(ctx.repeats):
        e = run_engram(ctx, path, duration, output)
        entry["engram"]["runs"].append(e)
        line = f"[{key}] run {rep + 1}/{ctx.repeats}: engram {e['sim_s']:.3f} s"
        if project:
            try:
                b = brian2_run(project)
                entry["brian2_standalone"]["runs"].append(b)
                line += f", Brian2 standalone {b['sim_s']:.3f} s"
            except RuntimeError as err:
                entry["errors"].append(str(err))
                project = None
        if runtime and rep < runtime_repeats:
            try:
                b = brian2_runtime(ctx, path, duration, runtime_spikes)
                entry["brian2_runtime"]["runs"].append(b)
                line += f", Brian2 runtime {b['sim_s']:.3f} s (+{b['prepare_s']:.1f} s prepare)"
            except RuntimeError as err:
                entry["errors"].append(str(err))
                runtime = False
        log(line)
    last = entry["engram"]["runs"][-1]
    entry["synapses"] = last["synapses"]
    entry["bytes_per_synapse"] = last["bytes_per_synapse"]
    # Activity: engram's spikes are the same in every run (one seed); so are Brian2's.
    trains = spikes.read_engram(output, sizes)
    if trains is None:
        entry["engram"]["populations"] = {
            k: dict(v, cv_isi=None, cv_neurons=0) for k, v in last["populations"].items()
            if k in sizes}
        entry["errors"].append("engram spikes not read (neither h5py nor h5dump): no CV")
    else:
        entry["engram"]["populations"] = spikes.population_stats(trains, sizes, duration)
    per_spike = expected_events_per_spike(spec)
    entry["synaptic_events"] = sum(per_spike[k] * v["spikes"]
                                   for k, v in entry["engram"]["populations"].items())
    checks = []
    for mode in ("brian2_standalone", "brian2_runtime"):
        m = entry.get(mode)
        if not m or not m["runs"]:
            continue
        if mode == "brian2_standalone":
            files = {k: {c: os.path.join(m["dir"], v[c]) for c in ("i", "t")}
                     for k, v in m["spike_files"].items()}
        else:
            files = m["runs"][-1]["spike_files"]
        m["populations"] = spikes.population_stats(spikes.read_raw(files, 1e3), sizes, duration)
        ok, notes = spikes.compare(m["populations"], entry["engram"]["populations"])
        m["check"] = {"ok": ok, "notes": notes}
        checks.append(ok)
        log(f"[{key}] engram vs {mode}: {'same activity' if ok else 'DIFFERENT activity'}"
            f"{' (not enforced in --smoke: too short for statistics)' if ctx.smoke else ''}; "
            + "; ".join(notes))
    entry["check_ok"] = all(checks) if checks else None
    # Scratch paths mean nothing once the work folder is gone.
    (entry.get("brian2_standalone") or {}).pop("dir", None)
    (entry.get("brian2_standalone") or {}).pop("spike_files", None)
    for r in (entry.get("brian2_runtime") or {}).get("runs", []):
        r.pop("spike_files", None)
    for name in ("engram", "brian2_standalone", "brian2_runtime"):
        m = entry.get(name)
        if m and m["runs"]:
            m["median"] = {k: median([r.get(k) for r in m["runs"]])
                           for k in ("sim_s", "build_s", "prepare_s", "wall_s", "cpu_s",
                                     "peak_rss_bytes")}
    return entry


# ---------------------------------------------------------------------------------------
# Micro-benchmarks and memory


def run_micro(ctx):
    if not ctx.micro or not os.path.exists(ctx.micro):
        return None
    cmd = [ctx.micro, "--benchmark_format=json", f"--benchmark_min_time={ctx.micro_time}"]
    if ctx.smoke:
        cmd.append("--benchmark_filter=/10000$|mean_x1000:2000$|kind:0/n_post:10000$|/n:10000$"
                   "|multiplicative:0$")
    r = measured(cmd)
    if r.code != 0:
        log(f"micro-benchmarks failed: {r.err[-2000:]}")
        return None
    rows = []
    for b in json.loads(r.out)["benchmarks"]:
        row = {"name": b["name"], "label": b.get("label", "")}
        for counter in ("ns_per_neuron_step", "ns_per_event"):
            if counter in b:
                row[counter] = b[counter] * 1e9
        if "rate_Hz" in b:
            row["rate_hz"] = b["rate_Hz"]
        rows.append(row)
    return rows


def run_memory(ctx):
    if not ctx.memory_tool or not os.path.exists(ctx.memory_tool):
        return None
    synapses = 200_000 if ctx.smoke else 10_000_000
    r = measured([ctx.memory_tool, "--json", "--synapses", str(synapses)])
    if r.code != 0:
        log(f"memory_per_synapse failed: {r.err[-2000:]}")
        return None
    return json.loads(r.out)


# ---------------------------------------------------------------------------------------


def machine():
    info = {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
            "memory_gib": None, "os": platform.platform(), "python": platform.python_version()}
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        m = re.search(r"^Model name:\s*(.+)$", out, re.M)
        if m:
            info["cpu"] = m.group(1).strip()
    except OSError:
        pass
    try:
        with open("/proc/meminfo") as f:
            kb = int(re.search(r"MemTotal:\s+(\d+)", f.read()).group(1))
            info["memory_gib"] = round(kb / (1 << 20), 1)
    except (OSError, AttributeError):
        pass
    try:
        info["compiler"] = subprocess.run(["c++", "--version"], capture_output=True,
                                          text=True).stdout.splitlines()[0]
    except (OSError, IndexError):
        pass
    return info


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split("\n", 1)[1])
    p.add_argument("--engram", default=str(REPO / "build/apps/engram"), help="engram binary")
    p.add_argument("--micro", help="engram_micro (default: next to engram, in bench/)")
    p.add_argument("--memory-tool", help="memory_per_synapse (default: as --micro)")
    p.add_argument("--repeats", type=int, default=3, help="runs per network and simulator")
    p.add_argument("--threads-repeats", type=int, default=7,
                   help="repetitions of the threads comparison (cheap, and the noisiest)")
    p.add_argument("--runtime-repeats", type=int, default=1,
                   help="runs of Brian2's runtime mode per network (it is slow)")
    p.add_argument("--runtime-target", default="cython", choices=["cython", "numpy"])
    p.add_argument("--max-neurons", type=int, default=40_000,
                   help="largest network of the scaling series")
    p.add_argument("--scaling-duration", type=float, default=1000.0, help="ms")
    p.add_argument("--only", help="comma-separated subset: coba,coba_euler,cuba,brunel,threads,"
                                  "scaling,micro,memory")
    p.add_argument("--no-brian2", action="store_true", help="engram only")
    p.add_argument("--quick", action="store_true", help="scaling series up to 10,000 neurons")
    p.add_argument("--smoke", action="store_true",
                   help="seconds-long run of everything (tiny durations, one repeat)")
    p.add_argument("--out", help="results folder (default bench/results)")
    p.add_argument("--work", help="scratch folder (default: a temporary one, removed)")
    p.add_argument("--update-docs", action=argparse.BooleanOptionalAction, default=None,
                   help="rewrite docs/benchmarks.md and its figure (default: full runs only)")
    p.add_argument("--merge", action="store_true",
                   help="replace only the measured parts (--only) in OUT/latest.json")
    p.add_argument("--report-only", action="store_true",
                   help="rewrite the reports from OUT/latest.json without running anything")
    return p.parse_args()


def main():
    a = parse_args()
    out = Path(a.out) if a.out else HERE / "results"
    out.mkdir(parents=True, exist_ok=True)
    full = not (a.smoke or a.quick or (a.only and not a.merge))
    update_docs = full if a.update_docs is None else a.update_docs
    if a.report_only:
        with open(out / "latest.json") as f:
            results = json.load(f)
        results["goals"] = report.goals(results)  # as this version of the report judges them
        report.write_all(results, out, REPO, update_docs if a.update_docs is not None else True)
        return 0

    ctx = argparse.Namespace()
    ctx.engram = os.path.abspath(a.engram)
    if not os.path.exists(ctx.engram):
        log(f"error: no engram binary at {ctx.engram} (build it, or pass --engram)")
        return 2
    bench_bin = Path(ctx.engram).parent.parent / "bench"
    ctx.micro = a.micro or str(bench_bin / "engram_micro")
    ctx.memory_tool = a.memory_tool or str(bench_bin / "memory_per_synapse")
    ctx.smoke = a.smoke
    ctx.repeats = 1 if a.smoke else max(1, a.repeats)
    ctx.threads_repeats = 1 if a.smoke else max(1, a.threads_repeats)
    ctx.runtime_target = "numpy" if a.smoke else a.runtime_target
    ctx.micro_time = 0.01 if a.smoke else 0.5
    ctx.brian_python = sys.executable
    have = {m: importlib.util.find_spec(m) is not None for m in OPTIONAL}
    brian = have["brian2"] and not a.no_brian2
    if not brian:
        log("Brian2 is not available (bench/install-bench-deps.sh installs it): engram only"
            if not a.no_brian2 else "--no-brian2: engram only")
    if not have["h5py"]:
        log("h5py is not available: reading engram's spikes with h5dump")
    only = set(a.only.split(",")) if a.only else None
    wanted = lambda k: only is None or k in only  # noqa: E731
    work_owned = a.work is None
    ctx.work = a.work or tempfile.mkdtemp(prefix="engram-bench-")
    os.makedirs(ctx.work, exist_ok=True)

    started = time.time()
    sampler = LoadSampler()
    sampler.start()
    results = {"schema": 1, "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
               "mode": "smoke" if a.smoke else "quick" if a.quick else
                       "partial" if a.only else "full",
               "command": "python3 bench/compare.py " + " ".join(
                   x if not os.path.isabs(x) else os.path.relpath(x, REPO) for x in sys.argv[1:]),
               "machine": machine(), "load_before": os.getloadavg(),
               "settings": {"repeats": ctx.repeats, "runtime_repeats": a.runtime_repeats,
                            "threads_repeats": ctx.threads_repeats,
                            "runtime_target": ctx.runtime_target, "max_neurons": a.max_neurons,
                            "scaling_duration_ms": a.scaling_duration},
               "optional": have, "networks": [], "threads": None, "scaling": None}
    if brian:
        results["brian2_version"] = importlib.metadata.version("Brian2")
    try:
        engram_version = subprocess.run([ctx.engram, "--version"], capture_output=True,
                                        text=True).stdout.strip()
        results["engram_version"] = engram_version
        modes = ["standalone", "runtime"] if brian else []
        if a.smoke:  # no C++ compilation of Brian2 projects in the smoke run
            modes = ["runtime"] if brian else []
        for key, title, path, duration, smoke_duration, settings in FIXED:
            if not wanted(key):
                continue
            net_modes = [m for m in modes if not a.smoke or key == "cuba"]
            run_path = variant_network(path, settings, ctx.work, key)
            entry = bench_network(ctx, key, title, run_path,
                                  smoke_duration if a.smoke else duration, net_modes,
                                  a.runtime_repeats)
            entry["file"] = os.path.relpath(path, REPO)
            if settings:
                entry["settings"] = settings
            results["networks"].append(entry)

        if wanted("threads"):
            results["threads"] = thread_scaling(ctx, smoke=a.smoke)
        if wanted("scaling"):
            results["scaling"] = scaling_series(ctx, a, ["standalone"] if brian and not a.smoke
                                                else [])
        if wanted("micro"):
            log("micro-benchmarks")
            results["micro"] = run_micro(ctx)
        if wanted("memory"):
            log("bytes per synapse")
            results["memory"] = run_memory(ctx)
    finally:
        if work_owned:
            shutil.rmtree(ctx.work, ignore_errors=True)
    results["load_after"] = os.getloadavg()
    results["load_during"] = sampler.summary()
    results["elapsed_s"] = elapsed = time.time() - started
    if a.merge:
        results = merge(out / "latest.json", results, only)
    results["goals"] = report.goals(results)
    report.write_all(results, out, REPO, update_docs)
    log(f"done in {elapsed / 60:.1f} min: {out / 'latest.md'}")
    failed = [e["key"] for e in results["networks"] if e.get("check_ok") is False]
    failed += [f"scaling {s['neurons']}" for s in (results["scaling"] or {}).get("sizes", [])
               if s.get("check_ok") is False]
    if failed:
        log(f"activity differs between engram and Brian2: {', '.join(failed)}")
        return 0 if a.smoke else 3
    return 0


def merge(path, new, only):
    """The results of an earlier run (path) with the parts this run measured replaced."""
    with open(path) as f:
        old = json.load(f)
    parts = sorted(only) if only else ["everything"]
    keys = {e["key"] for e in new["networks"]}
    order = [k for k, *_ in FIXED]
    old["networks"] = sorted([e for e in old["networks"] if e["key"] not in keys]
                             + new["networks"], key=lambda e: order.index(e["key"]))
    for part in ("threads", "scaling", "micro", "memory"):
        if new.get(part) is not None:
            old[part] = new[part]
    if new.get("threads") is not None:  # the header gives the threads' repetitions
        old.setdefault("settings", {})["threads_repeats"] = new["settings"]["threads_repeats"]
    # An earlier re-run of the same parts is superseded.
    old["reruns"] = [r for r in old.get("reruns", []) if not set(r["parts"]) <= set(parts)]
    old["reruns"].append(
        {"date": new["date"], "parts": parts, "command": new["command"],
         "load_during": new.get("load_during"), "elapsed_s": new["elapsed_s"]})
    return old


def _spin(n):
    s = 0
    for i in range(n):
        s += i
    return s


def parallel_capacity(n=3_000_000):
    """How many cores two CPU-bound processes get now: the time of two runs one after the
    other divided by the time of the same two runs side by side (2.0 on an idle machine,
    1.0 when other work holds the second core)."""
    import multiprocessing
    with multiprocessing.Pool(2) as pool:
        pool.map(_spin, [1000, 1000])  # start the workers
        start = time.perf_counter()
        pool.apply(_spin, (n,))
        pool.apply(_spin, (n,))
        serial = time.perf_counter() - start
        start = time.perf_counter()
        pool.map(_spin, [n, n], chunksize=1)
        together = time.perf_counter() - start
    return serial / together


def median_phases(runs):
    """Per backend, the medians over repetitions of engram's phase timers (`--timers`) and,
    on threads, of each thread's busy time and of its waiting within the parallel phases
    (their time less its busy time)."""
    out = {}
    for k, v in runs.items():
        ps = [r["phases"] for r in v if r.get("phases")]
        if not ps:
            continue
        m = {f: median([p[f] for p in ps]) for f in ("update_s", "delivery_s", "reporting_s")}
        if all(p.get("busy_s") for p in ps):
            parts = range(len(ps[0]["busy_s"]))
            m["busy_s"] = [median([p["busy_s"][q] for p in ps]) for q in parts]
            m["waiting_s"] = [median([max(0.0, p["update_s"] + p["delivery_s"] - p["busy_s"][q])
                                      for p in ps]) for q in parts]
        out[k] = m
    return out


def thread_scaling(ctx, smoke):
    """Brunel on the threads backend with 1 and 2 threads (and the serial backend)."""
    path = str(REPO / "examples/brunel_2000.json")
    duration = 50.0 if smoke else 1000.0
    output = os.path.join(ctx.work, "threads.h5")
    runs = {"serial": [], "1": [], "2": []}
    capacity = [parallel_capacity()]
    for rep in range(ctx.threads_repeats):
        for k in runs:
            r = run_engram(ctx, path, duration, output, None if k == "serial" else int(k),
                           timers=True)
            runs[k].append(r)
        capacity.append(parallel_capacity())
        log(f"[threads] run {rep + 1}/{ctx.threads_repeats}: "
            + ", ".join(f"{k} {v[-1]['sim_s']:.3f} s" for k, v in runs.items())
            + f"; cores available {capacity[-1]:.2f}")
    med = {k: median([r["sim_s"] for r in v]) for k, v in runs.items()}
    spikes_equal = len({tuple(sorted((p, v["spikes"]) for p, v in r["populations"].items()))
                        for v in runs.values() for r in v}) == 1
    return {"network": os.path.relpath(path, REPO), "duration_ms": duration,
            "runs": runs, "median_sim_s": med, "median_phases": median_phases(runs),
            "parallel_capacity": capacity,
            "speedup_2_over_1": med["1"] / med["2"] if med["2"] else None,
            "same_spike_counts": spikes_equal}


def scaling_series(ctx, a, brian_modes):
    """Brunel-like networks at in-degree 1000, 2,500 neurons doubling up to the cap."""
    directory = os.path.join(ctx.work, "scaling")
    os.makedirs(directory, exist_ok=True)
    fits = largest_fitting(ctx, directory)
    cap = 5000 if a.smoke else 10_000 if a.quick else a.max_neurons
    duration = 20.0 if a.smoke else a.scaling_duration
    sizes, n = [], 2500
    while n <= cap:
        sizes.append(n)
        n *= 2
    series = {"in_degree": 1000, "duration_ms": duration, "cap_neurons": cap,
              "largest_fitting_16gib": {"neurons": fits[0], "engram_estimate_bytes": fits[1]}
              if fits else None, "sizes": []}
    for n in sizes:
        path = scaling_network(n, directory, duration)
        entry = bench_network(ctx, f"scaling_{n}", f"Brunel-like {n}", path, duration,
                              brian_modes, 0)
        entry["file"] = f"{os.path.relpath(SCALING_TEMPLATE, REPO)} scaled to {n} neurons"
        entry["neurons"] = n
        series["sizes"].append(entry)
    return series


if __name__ == "__main__":
    sys.exit(main())
