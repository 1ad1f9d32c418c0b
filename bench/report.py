"""Reports of bench/compare.py: the results JSON, Markdown tables, the figure, the goals of
issue 6, and the generated section of docs/benchmarks.md. Standard library only, except the
figure (matplotlib, optional)."""
import json
import math
import os
import re
import shutil
import statistics

BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"
MIB = 1 << 20


def fmt(x, digits=3):
    if x is None:
        return "–"
    if isinstance(x, int) or (isinstance(x, float) and x.is_integer() and abs(x) >= 1000):
        return f"{int(x):,}"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.{digits}g}" if abs(x) < 1 else f"{x:.2f}"


def ratio(a, b):
    return a / b if a is not None and b else None


def med(entry, mode, key):
    m = entry.get(mode) or {}
    return (m.get("median") or {}).get(key)


def fit_loglog(xs, ys):
    """Least-squares slope and intercept of log y against log x."""
    pts = [(math.log(x), math.log(y)) for x, y in zip(xs, ys) if x and y and x > 0 and y > 0]
    if len(pts) < 2:
        return None, None
    mx = sum(p[0] for p in pts) / len(pts)
    my = sum(p[1] for p in pts) / len(pts)
    sxx = sum((p[0] - mx) ** 2 for p in pts)
    if sxx == 0:
        return None, None
    slope = sum((p[0] - mx) * (p[1] - my) for p in pts) / sxx
    return slope, my - slope * mx


def fit_linear(xs, ys):
    """Least-squares y = a + b x: (a, b, r²)."""
    pts = [(x, y) for x, y in zip(xs, ys) if x is not None and y is not None]
    if len(pts) < 2:
        return None, None, None
    mx = sum(p[0] for p in pts) / len(pts)
    my = sum(p[1] for p in pts) / len(pts)
    sxx = sum((p[0] - mx) ** 2 for p in pts)
    syy = sum((p[1] - my) ** 2 for p in pts)
    if sxx == 0:
        return None, None, None
    sxy = sum((p[0] - mx) * (p[1] - my) for p in pts)
    b = sxy / sxx
    return my - b * mx, b, (sxy * sxy / (sxx * syy) if syy else 1.0)


def scaling_fits(results):
    s = results.get("scaling") or {}
    sizes = s.get("sizes") or []
    fits = {}
    for mode in ("engram", "brian2_standalone"):
        rows = [e for e in sizes if med(e, mode, "sim_s") is not None]
        if len(rows) < 2:
            continue
        ev = [e["synaptic_events"] for e in rows]
        syn = [e["synapses"] for e in rows]
        t = [med(e, mode, "sim_s") for e in rows]
        m = [med(e, mode, "peak_rss_bytes") for e in rows]
        a, b, r2 = fit_linear(syn, m)
        fits[mode] = {"time_slope": fit_loglog(ev, t)[0],
                      "ns_per_event": (fit_linear(ev, t)[1] or 0) * 1e9,
                      "time_r2": fit_linear(ev, t)[2],
                      # A process has a fixed part (libraries, neuron state is tiny here):
                      # fit peak = a + b·synapses, then the slope of (peak - a) in log-log.
                      # A negative a (a series whose bytes per synapse change, e.g. with
                      # the synapse word width) is no fixed part: then nothing is taken off.
                      "memory_fixed_bytes": a, "bytes_per_synapse": b, "memory_r2": r2,
                      "memory_fixed_removed": max(a, 0.0) if a is not None else None,
                      "memory_slope": fit_loglog(syn, [y - max(a, 0.0) for y in m])[0]
                      if a is not None else None}
    return fits


def repetition_ratios(t):
    """The speed-up within each repetition: its 1-thread time over its 2-thread time."""
    one, two = t.get("runs", {}).get("1", []), t.get("runs", {}).get("2", [])
    return [r1["sim_s"] / r2["sim_s"] for r1, r2 in zip(one, two)
            if r1.get("sim_s") and r2.get("sim_s")]


def repetition_speedups(t):
    """The speed-ups within each repetition, which show how much the ratio of the medians
    owes to the machine's changing load."""
    pairs = repetition_ratios(t)
    if len(pairs) < 2:
        return ""
    return (f" Speed-up within each repetition: {', '.join(f'{x:.2f}' for x in pairs)} "
            f"(median {statistics.median(pairs):.2f}).")


def goals(results):
    """The goals of issue 6, each with its target, the measured figure and whether it is met."""
    nets = {e["key"]: e for e in results.get("networks", [])}
    out = []

    def add(goal, target, value, met, unit="", note=""):
        out.append({"goal": goal, "target": target, "measured": value, "unit": unit,
                    "met": met, "note": note})

    for key, title in (("coba", "COBA 10 s"), ("coba_euler", "COBA 10 s, forward Euler in both"),
                       ("brunel", "Brunel 1 s")):
        e = nets.get(key)
        if e:
            r = ratio(med(e, "engram", "sim_s"), med(e, "brian2_standalone", "sim_s"))
            add(f"{title}: engram simulation time / Brian2 standalone's", "≤ 0.2", r,
                None if r is None else r <= 0.2)
    mem = results.get("memory") or []
    static = [m["rss_bytes_per_synapse"] for m in mem if not m["plastic"]]
    plastic = [m["rss_bytes_per_synapse"] for m in mem if m["plastic"]]
    if static:
        add("bytes per static synapse (measured, largest case)", "≤ 8", max(static),
            max(static) <= 8.05, "B")
    if plastic:
        add("bytes per STDP synapse (measured, largest case)", "≤ 16", max(plastic),
            max(plastic) <= 16.05, "B")
    e = nets.get("brunel")
    if e:
        b = med(e, "engram", "build_s")
        add("building Brunel (15.6 M synapses)", "< 2 s", b, None if b is None else b < 2, "s")
    t = results.get("threads")
    if t and t.get("speedup_2_over_1"):
        # Met only when both estimates agree: the ratio of the medians and the median of the
        # repetitions' own ratios (on a loaded host one slow repetition moves either alone).
        s, pairs = t["speedup_2_over_1"], repetition_ratios(t)
        within = statistics.median(pairs) if len(pairs) >= 2 else s
        add("threads backend, Brunel: speed-up of 2 threads over 1", "≥ 1.7", s,
            s >= 1.7 and within >= 1.7, "×",
            f"(median of the repetitions' own: {within:.2f})" if len(pairs) >= 2 else "")
    fits = scaling_fits(results).get("engram")
    if fits:
        ts, ms = fits["time_slope"], fits["memory_slope"]
        add("scaling: log-log slope of simulation time against synaptic events", "≈ 1", ts,
            ts is not None and 0.85 <= ts <= 1.15)
        add("scaling: log-log slope of peak memory (less its fixed part) against synapses",
            "≈ 1", ms, ms is not None and 0.85 <= ms <= 1.15)
    return out


# ---------------------------------------------------------------------------------------


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def mib(x):
    return None if x is None else x / MIB


def markdown(results, figure=None):
    s = results.get("settings", {})
    mach = results.get("machine", {})
    parts = []
    during = results.get("load_during") or {}
    load = (f"load average (1 min) during the run: mean {during['mean']:.1f}, max "
            f"{during['max']:.1f}" if during else
            f"load average (1 min) {results.get('load_before', [0])[0]:.1f} before the run")
    command = results.get("command", "python3 bench/compare.py")
    text = (
        f"Measured {results.get('date', '')} on {mach.get('cpu', '?')}, {mach.get('cores', '?')} "
        f"cores, {mach.get('memory_gib', '?')} GiB ({mach.get('os', '')}; "
        f"{mach.get('compiler', '')}), with {results.get('engram_version', 'engram')} and "
        f"Brian2 {results.get('brian2_version', '(not installed)')}; {load} (a load above "
        f"the {mach.get('cores', '?')} cores means the simulators shared them with other work). "
        f"The whole run took {results.get('elapsed_s', 0) / 60:.1f} min. Medians of "
        f"{s.get('repeats')} runs (Brian2 runtime mode: {s.get('runtime_repeats')}"
        + (f"; threads: {s['threads_repeats']}" if s.get("threads_repeats") else "") + "), "
        f"alternating simulators.\n\nCommand: `{command}`")
    text += (" (with the repository's own build, `scripts/build.sh`, the same run is "
             "`python3 bench/compare.py`)" if "--engram" in command else "")
    for r in results.get("reruns", []):
        d = r.get("load_during") or {}
        text += (f"\n\nRe-measured {r['date']}: {', '.join(r['parts'])} (`{r['command']}`"
                 + (f"; load mean {d['mean']:.1f}, max {d['max']:.1f}" if d else "") + ").")
    parts.append(text)
    if figure:
        parts.append(f"![benchmarks]({figure})")

    nets = results.get("networks", [])
    if nets:
        rows = []
        for e in nets:
            rt = e.get("brian2_runtime") or {}
            rows.append([
                e["title"], f"{e['duration_ms'] / 1000:g} s", fmt(e["neurons"]),
                fmt(e.get("synapses")),
                fmt(med(e, "engram", "sim_s")), fmt(med(e, "brian2_standalone", "sim_s")),
                fmt(ratio(med(e, "engram", "sim_s"), med(e, "brian2_standalone", "sim_s"))),
                fmt(med(e, "brian2_runtime", "sim_s")),
                fmt(med(e, "engram", "build_s")), fmt(med(e, "brian2_standalone", "build_s")),
                fmt((e.get("brian2_standalone") or {}).get("codegen_compile_s")),
                fmt(med(e, "brian2_runtime", "build_s")),
                fmt(med(e, "brian2_runtime", "prepare_s")),
                fmt(mib(med(e, "engram", "peak_rss_bytes"))),
                fmt(mib(med(e, "brian2_standalone", "peak_rss_bytes"))),
                fmt(mib(med(e, "brian2_runtime", "peak_rss_bytes"))),
            ])
        target = (nets[0].get("brian2_runtime") or {}).get("target", s.get("runtime_target"))
        parts.append("### Time and memory\n\n" + table(
            ["network", "simulated", "neurons", "synapses", "engram sim (s)",
             "Brian2 standalone sim (s)", "engram / Brian2", f"Brian2 runtime ({target}) sim (s)",
             "engram build (s)", "Brian2 standalone build (s)", "Brian2 codegen + compile (s)",
             "Brian2 runtime build (s)", "Brian2 runtime prepare (s)", "engram peak (MiB)",
             "Brian2 standalone peak (MiB)", "Brian2 runtime peak (MiB)"], rows)
            + "\n\n*sim*: the simulation loop (engram's includes writing spikes to HDF5; "
              "Brian2's, recording them in memory; both are the processor time of the loop — "
              "engram's summary line, Brian2 standalone's `std::clock` — which equals "
              "wall-clock time on an idle core and leaves out the waiting on a busy machine; "
              "the threads table uses wall-clock time). *build*: engram: validation and "
              "compilation of the description; Brian2 standalone: the binary's run time "
              "outside the loop (loading, creating synapses, initial values, writing results); "
              "runtime: creating the network and its synapses in Python. *codegen + compile*: "
              "Brian2 generating and compiling the C++ project, once per network. *prepare*: "
              "Brian2 runtime's code generation and Cython compilation or cache loading "
              "before the loop. *peak*: maximum resident set size of the process.")
        rows = []
        for e in nets:
            eng = (e.get("engram") or {}).get("populations", {})
            sa = (e.get("brian2_standalone") or {}).get("populations", {})
            rt = (e.get("brian2_runtime") or {}).get("populations", {})
            for name, p in eng.items():
                a, b = sa.get(name, {}), rt.get(name, {})
                rows.append([e["title"], name, fmt(p["spikes"]), fmt(p["rate_hz"]),
                             fmt(p.get("cv_isi")), fmt(a.get("spikes")), fmt(a.get("rate_hz")),
                             fmt(a.get("cv_isi")), fmt(b.get("rate_hz")), fmt(b.get("cv_isi"))])
            checks = [m["check"]["ok"] for m in (e.get("brian2_standalone"),
                                                 e.get("brian2_runtime")) if m and "check" in m]
            verdict = "–" if not checks else "same" if all(checks) else "**DIFFERENT**"
            rows[-1].append(verdict)
            for r in rows[-len(eng):-1]:
                r.append("")
        parts.append("### Activity: the same networks\n\n" + table(
            ["network", "population", "engram spikes", "engram rate (Hz)", "engram CV ISI",
             "Brian2 SA spikes", "Brian2 SA rate (Hz)", "Brian2 SA CV ISI",
             "Brian2 RT rate (Hz)", "Brian2 RT CV ISI", "check"], rows)
            + "\n\nCheck: every population's mean rate within 10 % and mean CV of "
              "inter-spike intervals (neurons with at least 2 intervals) within 0.1 of "
              "Brian2's, for each Brian2 mode. SA: standalone, RT: runtime.")

    t = results.get("threads")
    if t:
        m = t["median_sim_s"]
        ph = t.get("median_phases") or {}

        def phase_cells(k):
            p = ph.get(k)
            if not p:
                return ["–"] * 5
            per_part = lambda xs: " / ".join(fmt(x) for x in xs) if xs else "–"
            return [fmt(p["update_s"]), fmt(p["delivery_s"]), fmt(p["reporting_s"]),
                    per_part(p.get("busy_s")), per_part(p.get("waiting_s"))]

        rows = [["serial", fmt(m.get("serial")), ""] + phase_cells("serial"),
                ["threads, 1 thread", fmt(m.get("1")), "1"] + phase_cells("1"),
                ["threads, 2 threads", fmt(m.get("2")), fmt(t.get("speedup_2_over_1"))]
                + phase_cells("2")]
        parts.append(f"### Threads: Brunel, {t['duration_ms'] / 1000:g} s simulated\n\n"
                     + table(["backend", "sim (s)", "speed-up over 1 thread", "update (s)",
                              "delivery (s)", "reporting (s)", "busy per thread (s)",
                              "waiting per thread (s)"], rows)
                     + ("\n\nPhases (`engram run --timers`, medians): wall-clock time of the "
                        "loop's update, delivery and reporting phases; on threads, each "
                        "thread's working time within the two parallel phases, whichever "
                        "partition the work was for, and its waiting there." if ph else "")
                     + f"\n\nSame spike counts on every backend and thread count: "
                       f"{'yes' if t.get('same_spike_counts') else '**no**'}."
                     + repetition_speedups(t)
                     + (f" Cores available to two CPU-bound processes, measured before and "
                        f"after each repetition (2.0 on an idle machine): "
                        f"{', '.join(f'{c:.2f}' for c in t['parallel_capacity'])}."
                        if t.get("parallel_capacity") else ""))

    sc = results.get("scaling")
    if sc and sc.get("sizes"):
        rows = []
        for e in sc["sizes"]:
            rates = "/".join(fmt(p["rate_hz"]) for p in e["engram"]["populations"].values())
            sa_pop = (e.get("brian2_standalone") or {}).get("populations") or {}
            sa_rates = "/".join(fmt(p["rate_hz"]) for p in sa_pop.values()) or "–"
            rows.append([fmt(e["neurons"]), fmt(e["synapses"]), f"{e['synaptic_events']:.3g}",
                         fmt(med(e, "engram", "sim_s")), fmt(med(e, "brian2_standalone", "sim_s")),
                         fmt(med(e, "engram", "build_s")),
                         fmt(med(e, "brian2_standalone", "build_s")),
                         fmt(mib(med(e, "engram", "peak_rss_bytes"))),
                         fmt(mib(med(e, "brian2_standalone", "peak_rss_bytes"))), rates, sa_rates,
                         "same" if e.get("check_ok") else "–" if e.get("check_ok") is None
                         else "**DIFFERENT**"])
        fits = scaling_fits(results)
        lines = []
        for mode, name in (("engram", "engram"), ("brian2_standalone", "Brian2 standalone")):
            f = fits.get(mode)
            if f:
                lines.append(
                    f"- {name}: simulation time ∝ events^{fmt(f['time_slope'])} (log-log fit; "
                    f"linear fit: {fmt(f['ns_per_event'])} ns per event, r² "
                    f"{f['time_r2']:.4f}); peak memory = {fmt(mib(f['memory_fixed_bytes']))} MiB "
                    f"+ {fmt(f['bytes_per_synapse'])} bytes × synapses (r² {f['memory_r2']:.4f}),"
                    + (f" and peak − {fmt(mib(f['memory_fixed_removed']))} MiB ∝ "
                       if f.get("memory_fixed_removed", f["memory_fixed_bytes"]) > 0 else
                       " and, the fit's fixed part being negative, peak ∝ ")
                    + f"synapses^{fmt(f['memory_slope'])}")
        fit16 = sc.get("largest_fitting_16gib")
        fits_text = (f"The largest network of the series that fits in 16 GiB is, for engram, "
                     f"{fmt(fit16['neurons'])} neurons ({fmt(fit16['neurons'] * 1000)} synapses, "
                     f"engram's estimate {fit16['engram_estimate_bytes'] / (1 << 30):.1f} GiB)"
                     if fit16 else "")
        b2 = fits.get("brian2_standalone")
        if b2 and b2.get("bytes_per_synapse"):
            n = 2500
            while b2["memory_fixed_bytes"] + b2["bytes_per_synapse"] * n * 2000 <= 16 * (1 << 30):
                n *= 2
            fits_text += (f"{',' if fit16 else 'The largest network that fits in 16 GiB is'} "
                          f"for Brian2 standalone {fmt(n)} neurons (extrapolated from its "
                          f"measured peak memory)")
        fits_text += "; " if fits_text else ""
        parts.append(
            f"### Scaling: Brunel-like, in-degree 1000, {sc['duration_ms'] / 1000:g} s simulated"
            "\n\n" + table(["neurons", "synapses", "synaptic events", "engram sim (s)",
                            "Brian2 SA sim (s)", "engram build (s)", "Brian2 SA build (s)",
                            "engram peak (MiB)", "Brian2 SA peak (MiB)", "engram rates (Hz)",
                            "Brian2 rates (Hz)", "check"], rows)
            + "\n\n" + "\n".join(lines) + "\n\n" + fits_text
            + f"this run stops at {fmt(sc['cap_neurons'])} neurons (`--max-neurons`) to stay "
              "within its time budget. Synaptic events: spikes × mean out-degree (1000); "
              "the external Poisson input is not counted.")

    mem = results.get("memory")
    if mem:
        rows = [[m["case"], fmt(m["synapses"]), fmt(m["rss_bytes_per_synapse"]),
                 fmt(m["heap_bytes_per_synapse"]), fmt(m["array_bytes_per_synapse"]),
                 fmt(m["rss_bytes_per_synapse_all"])] for m in mem]
        parts.append("### Bytes per synapse (bench/memory_per_synapse)\n\n" + table(
            ["projection", "synapses", "RSS", "heap", "arrays", "RSS incl. per-neuron state"],
            rows) + "\n\nRSS and heap: (whole projection − the projection reduced to one "
                    "synapse) / synapses, from the process's resident memory and the "
                    "allocator's counters after compile(). Arrays: the capacity of the synapse "
                    "tables (Runtime::synapse_bytes, as `engram run` prints). The last column "
                    "compares with no projection at all, so it adds the row offsets, the input "
                    "ring slots for the delays and the STDP traces and post-spike histories.")

    micro = results.get("micro")
    if micro:
        rows = []
        for m in micro:
            if "ns_per_neuron_step" in m:
                note = m["label"] or f"rate {fmt(m.get('rate_hz'))} Hz"
                rows.append([m["name"], fmt(m["ns_per_neuron_step"]), "neuron and step", note])
            elif "ns_per_event" in m:
                rows.append([m["name"], fmt(m["ns_per_event"]), "synaptic event", m["label"]])
        parts.append("### Micro-benchmarks (bench/micro.cpp, Google Benchmark)\n\n" + table(
            ["benchmark", "ns", "per", "note"], rows))

    gl = results.get("goals")
    if gl:
        rows = [[g["goal"], g["target"],
                 f"{fmt(g['measured'])} {g['unit']} {g.get('note', '')}".strip(),
                 "–" if g["met"] is None else "yes" if g["met"] else "**no**"] for g in gl]
        parts.append("### Goals (issue 6)\n\n" + table(["goal", "target", "measured", "met"],
                                                        rows))
    return "\n\n".join(parts) + "\n"


# ---------------------------------------------------------------------------------------


def figure(results, path):
    """Simulation times per network; scaling of time and memory (log-log, fitted slopes);
    thread scaling. Returns False when matplotlib is missing."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, axes = plt.subplots(2, 2, figsize=(12, 9))
    colors = {"engram": "#1b7837", "brian2_standalone": "#2166ac", "brian2_runtime": "#b2abd2"}
    names = {"engram": "engram", "brian2_standalone": "Brian2 standalone",
             "brian2_runtime": "Brian2 runtime"}

    ax = axes[0][0]
    nets = results.get("networks", [])
    width = 0.27
    for k, mode in enumerate(("engram", "brian2_standalone", "brian2_runtime")):
        xs = [i + (k - 1) * width for i in range(len(nets))]
        ys = [med(e, mode, "sim_s") or 0 for e in nets]
        if any(ys):
            bars = ax.bar(xs, ys, width, label=names[mode], color=colors[mode])
            for b, y in zip(bars, ys):
                if y:
                    ax.annotate(f"{y:.3g}", (b.get_x() + b.get_width() / 2, y), ha="center",
                                va="bottom", fontsize=8)
    if nets:
        ax.set_xticks(range(len(nets)))
        ax.set_xticklabels([f"{e['title']}\n{e['duration_ms'] / 1000:g} s" for e in nets])
        ax.set_ylabel("simulation time (s)")
        ax.set_yscale("log")
        ax.set_title("Simulation time (median), single thread")
        ax.legend(fontsize=8)
    else:
        ax.axis("off")  # a run of other parts only (--only)

    sc = (results.get("scaling") or {}).get("sizes") or []
    fits = scaling_fits(results)
    for ax, xkey, ykey, slope_key, xlabel, ylabel, title in (
            (axes[0][1], "synaptic_events", "sim_s", "time_slope", "synaptic events",
             "simulation time (s)", "Scaling: time against synaptic events"),
            (axes[1][0], "synapses", "peak_rss_bytes", "memory_slope", "synapses",
             "peak memory (MiB)", "Scaling: memory against synapses")):
        for mode in ("engram", "brian2_standalone"):
            rows = [e for e in sc if med(e, mode, ykey)]
            if not rows:
                continue
            xs = [e[xkey] for e in rows]
            ys = [med(e, mode, ykey) / (MIB if ykey == "peak_rss_bytes" else 1) for e in rows]
            f = fits.get(mode) or {}
            slope = f.get(slope_key)
            if ykey == "peak_rss_bytes" and f.get("bytes_per_synapse") is not None:
                label = (f"{names[mode]}: {f['bytes_per_synapse']:.3g} B/synapse + "
                         f"{f['memory_fixed_bytes'] / MIB:.3g} MiB; slope of (peak − fixed) "
                         f"{slope:.2f}")
                fit = [(f["memory_fixed_bytes"] + f["bytes_per_synapse"] * x) / MIB for x in xs]
            else:
                label = names[mode] + (f": slope {slope:.2f}" if slope is not None else "")
                sl, c = fit_loglog(xs, ys)
                fit = [math.exp(c) * x ** sl for x in xs] if sl is not None else None
            ax.loglog(xs, ys, "o", color=colors[mode], label=label)
            if fit:
                ax.loglog(xs, fit, "-", color=colors[mode], alpha=0.6)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7, title="fitted (lines)", title_fontsize=7)

    ax = axes[1][1]
    t = results.get("threads")
    if t:
        m = t["median_sim_s"]
        labels = ["serial", "threads ×1", "threads ×2"]
        ys = [m.get("serial") or 0, m.get("1") or 0, m.get("2") or 0]
        bars = ax.bar(labels, ys, color=["#1b7837", "#5aae61", "#a6dba0"])
        for b, y in zip(bars, ys):
            ax.annotate(f"{y:.3g} s", (b.get_x() + b.get_width() / 2, y), ha="center",
                        va="bottom", fontsize=8)
        sp = t.get("speedup_2_over_1")
        ax.set_title(f"engram threads backend, Brunel {t['duration_ms'] / 1000:g} s"
                     + (f": {sp:.2f}× on 2 threads" if sp else ""))
        ax.set_ylabel("simulation time (s)")
    else:
        ax.axis("off")
    mach = results.get("machine", {})
    fig.suptitle(f"engram vs Brian2 — {mach.get('cpu', '')}, {results.get('date', '')}",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def write_all(results, out, repo, update_docs):
    """latest.json, latest.md and benchmarks.png in `out`; with update_docs also
    docs/figures/benchmarks.png and the results section of docs/benchmarks.md."""
    with open(os.path.join(out, "latest.json"), "w") as f:
        json.dump(results, f, indent=1, default=str)
    png = os.path.join(out, "benchmarks.png")
    have_figure = figure(results, png)
    with open(os.path.join(out, "latest.md"), "w") as f:
        f.write(markdown(results, "benchmarks.png" if have_figure else None))
    if not update_docs:
        return
    docs = os.path.join(repo, "docs", "benchmarks.md")
    if have_figure:
        os.makedirs(os.path.join(repo, "docs", "figures"), exist_ok=True)
        shutil.copyfile(png, os.path.join(repo, "docs", "figures", "benchmarks.png"))
    with open(docs) as f:
        text = f.read()
    if BEGIN not in text or END not in text:
        raise RuntimeError(f"{docs} lacks the markers {BEGIN} and {END}")
    section = markdown(results, "figures/benchmarks.png" if have_figure else None)
    text = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END),
                  lambda _: f"{BEGIN}\n<!-- written by bench/compare.py; do not edit -->\n\n"
                            f"{section}\n{END}", text, flags=re.S)
    with open(docs, "w") as f:
        f.write(text)
