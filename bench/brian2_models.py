#!/usr/bin/python3
"""Brian2 versions of engram's benchmark networks, built from the same JSON descriptions.

Run by bench/compare.py under an interpreter that has Brian2 (Debian's python3-brian); it
reads an engram network description and builds the same network in Brian2:

  build-standalone NET.json --duration MS --dir DIR
      generates and compiles a C++ standalone project in DIR (single thread, no OpenMP:
      openmp_threads = 0) without running it; prints JSON with the code generation +
      compile time and where the binary writes each population's spikes. compare.py then
      times the binary (DIR/main) itself.
  run-runtime NET.json --duration MS --target cython|numpy --spikes DIR
      builds and runs the network in Brian2's runtime mode; prints JSON with the network
      construction time, the preparation time of run() (code generation, compilation or
      loading of cached extensions) and the time of the simulation loop; writes the spikes.

Spikes are written as raw little-endian arrays (int32 neuron ids, float64 times in seconds),
one pair of files per population, which is also the format of Brian2's standalone results.

The translation covers what the benchmark networks use: IF_cond_exp, IF_curr_exp and
IF_curr_delta populations, FixedProbability and FixedNumberPre connectors over whole
populations, one constant weight and one constant delay per projection, and PoissonInput
stimuli. Semantics that differ between the simulators and how they are matched:

* Delays. engram adds a spike emitted in step t with delay d to the target's input before
  the target's update in step t + d (DESIGN.md §2). Brian2 applies it in step t + d after
  the state update and the threshold ("synapses" slot), so it acts on the update of step
  t + d + 1. A Brian2 delay of d - dt is therefore the same network: engram's minimum delay
  of one step (0.1 ms) is Brian2's delay 0 (as in Brian2's COBA and CUBA examples), and
  Brunel's 1.5 ms is Brian2's 1.4 ms.
* Refractoriness. Both hold v during the refractory period and let synaptic currents and
  conductances decay. engram's delta-synapse neuron (IF_curr_delta, like NEST's
  iaf_psc_delta) discards input that arrives during the refractory period; the Brian2
  version multiplies its jumps by not_refractory.
* Integration. IF_curr_exp and IF_curr_delta: exact in both. IF_cond_exp: engram integrates
  the membrane exactly with step-mean conductances; Brian2 uses forward Euler, the method
  it picks for these equations and the one of its COBA example.
"""
import argparse
import json
import os
import sys
import time

# PyNN defaults of engram's parameter tables (engine/neurons/*.hpp), for the models used.
DEFAULTS = {
    "IF_cond_exp": dict(cm=1.0, tau_m=20.0, tau_refrac=0.1, tau_syn_E=5.0, tau_syn_I=5.0,
                        e_rev_E=0.0, e_rev_I=-70.0, v_rest=-65.0, v_reset=-65.0,
                        v_thresh=-50.0, i_offset=0.0),
    "IF_curr_exp": dict(cm=1.0, tau_m=20.0, tau_refrac=0.1, tau_syn_E=5.0, tau_syn_I=5.0,
                        v_rest=-65.0, v_reset=-65.0, v_thresh=-50.0, i_offset=0.0),
    "IF_curr_delta": dict(cm=1.0, tau_m=20.0, tau_refrac=0.1, v_rest=-65.0, v_reset=-65.0,
                          v_thresh=-50.0, i_offset=0.0),
}

EQUATIONS = {
    "IF_cond_exp": """
        dv/dt = (g_leak*(v_rest - v) + ge*(e_rev_E - v) + gi*(e_rev_I - v) + i_offset)/c_m
                : volt (unless refractory)
        dge/dt = -ge/tau_syn_E : siemens
        dgi/dt = -gi/tau_syn_I : siemens
    """,
    "IF_curr_exp": """
        dv/dt = (v_rest - v)/tau_m + (ie - ii + i_offset)/c_m : volt (unless refractory)
        die/dt = -ie/tau_syn_E : amp
        dii/dt = -ii/tau_syn_I : amp
    """,
    "IF_curr_delta": """
        dv/dt = (v_rest - v)/tau_m + i_offset/c_m : volt (unless refractory)
    """,
}
METHOD = {"IF_cond_exp": "euler", "IF_curr_exp": "exact", "IF_curr_delta": "exact"}
# engram state column -> (Brian2 variable, unit name)
STATE = {"v": ("v", "mV"), "gsyn_exc": ("ge", "uS"), "gsyn_inh": ("gi", "uS"),
         "isyn_exc": ("ie", "nA"), "isyn_inh": ("ii", "nA")}
# model -> receptor -> (Brian2 variable, unit of the weight)
TARGET = {
    "IF_cond_exp": {"excitatory": ("ge", "uS"), "inhibitory": ("gi", "uS")},
    "IF_curr_exp": {"excitatory": ("ie", "nA"), "inhibitory": ("ii", "nA")},
    "IF_curr_delta": {"excitatory": ("v", "mV"), "inhibitory": ("v", "mV")},
}


def whole_population(text, where):
    if "[" in text:
        raise NotImplementedError(f"{where}: slices are not translated to Brian2")
    return text


def build_network(b2, spec, duration_ms):
    """Builds spec in Brian2 (the device must be set already); returns {population: monitor}."""
    u = {"mV": b2.mV, "uS": b2.uS, "nA": b2.nA, "nF": b2.nF, "ms": b2.ms}
    dt = float(spec.get("dt", 0.1))
    b2.defaultclock.dt = dt * b2.ms
    groups, models, monitors, objects = {}, {}, {}, []
    for k, pop in enumerate(spec["populations"]):
        model = pop["model"]
        if model not in EQUATIONS:
            raise NotImplementedError(f"/populations/{k}: model {model} is not translated")
        p = dict(DEFAULTS[model])
        p.update(pop.get("parameters", {}))
        ns = {"c_m": p["cm"] * b2.nF, "tau_m": p["tau_m"] * b2.ms, "v_rest": p["v_rest"] * b2.mV,
              "v_reset": p["v_reset"] * b2.mV, "v_thresh": p["v_thresh"] * b2.mV,
              "i_offset": p["i_offset"] * b2.nA}
        if model != "IF_curr_delta":
            ns.update(tau_syn_E=p["tau_syn_E"] * b2.ms, tau_syn_I=p["tau_syn_I"] * b2.ms)
        if model == "IF_cond_exp":
            ns.update(g_leak=p["cm"] / p["tau_m"] * b2.uS, e_rev_E=p["e_rev_E"] * b2.mV,
                      e_rev_I=p["e_rev_I"] * b2.mV)
        g = b2.NeuronGroup(pop["size"], EQUATIONS[model], threshold="v >= v_thresh",
                           reset="v = v_reset", refractory=p["tau_refrac"] * b2.ms,
                           method=METHOD[model], namespace=ns, name=pop["name"])
        g.v = p["v_rest"] * b2.mV
        for var, value in pop.get("initial", {}).items():
            name, unit = STATE[var]
            if isinstance(value, (int, float)):
                setattr(g, name, value * u[unit])
            elif value.get("distribution") == "uniform":
                lo, hi = value["low"], value["high"]
                setattr(g, name, f"({lo} + rand()*({hi - lo}))*{unit}")
            elif value.get("distribution") == "normal":
                setattr(g, name, f"({value['mu']} + randn()*{value['sigma']})*{unit}")
            else:
                raise NotImplementedError(f"/populations/{k}/initial/{var}: {value}")
        groups[pop["name"]], models[pop["name"]] = g, model
        monitors[pop["name"]] = b2.SpikeMonitor(g, name=f"spikes_{pop['name']}")
        objects += [g, monitors[pop["name"]]]

    for k, proj in enumerate(spec.get("projections", [])):
        where = f"/projections/{k}"
        pre = groups[whole_population(proj["pre"], where)]
        post_name = whole_population(proj["post"], where)
        post, model = groups[post_name], models[post_name]
        syn = proj.get("synapse", {})
        weight, delay = syn.get("weight", 0.0), syn.get("delay", dt)
        if not isinstance(weight, (int, float)) or not isinstance(delay, (int, float)):
            raise NotImplementedError(f"{where}: only constant weights and delays are translated")
        receptor = syn.get("receptor", "excitatory")
        var, unit = TARGET[model][receptor]
        if model == "IF_curr_delta":
            sign = "+" if receptor == "excitatory" else "-"
            on_pre = f"v_post {sign}= w*int(not_refractory_post)"
        else:
            on_pre = f"{var}_post += w"
        brian_delay = round(delay / dt) * dt - dt  # see the module doc: same arrival step
        kwargs = {"delay": brian_delay * b2.ms} if brian_delay > 1e-12 else {}
        s = b2.Synapses(pre, post, on_pre=on_pre, namespace={"w": weight * u[unit]},
                        name=f"projection_{k}", **kwargs)
        conn = proj["connector"]
        same = proj["pre"] == proj["post"]
        no_self = same and not conn.get("allow_self_connections", True)
        if conn["type"] == "FixedProbability":
            if no_self:
                s.connect(condition="i != j", p=conn["p"], namespace={})
            else:
                s.connect(p=conn["p"], namespace={})
        elif conn["type"] == "FixedNumberPre":
            if conn.get("with_replacement", False):
                raise NotImplementedError(f"{where}: with_replacement")
            n = conn["n"]
            if no_self:  # n distinct presynaptic neurons other than j
                s.connect(i=f"k + int(k >= j) for k in sample(N_pre - 1, size={n})", namespace={})
            else:
                s.connect(i=f"k for k in sample(N_pre, size={n})", namespace={})
        else:
            raise NotImplementedError(f"{where}: connector {conn['type']}")
        objects.append(s)

    for k, stim in enumerate(spec.get("stimuli", [])):
        if stim.get("type") != "PoissonInput":
            raise NotImplementedError(f"/stimuli/{k}: {stim.get('type')}")
        target = whole_population(stim["target"], f"/stimuli/{k}")
        g, model = groups[target], models[target]
        receptor = stim.get("receptor", "excitatory")
        var, unit = TARGET[model][receptor]
        w = f"{stim['weight']}*{unit}"
        if model == "IF_curr_delta":
            w = f"{'' if receptor == 'excitatory' else '-'}{w}*int(not_refractory)"
        objects.append(b2.PoissonInput(g, var, N=int(stim.get("number", 1)),
                                       rate=stim["rate"] * b2.Hz, weight=w))
    net = b2.Network(objects)
    return net, monitors


def load(path):
    with open(path) as f:
        return json.load(f)


def build_standalone(args):
    import brian2 as b2
    spec = load(args.network)
    start = time.perf_counter()
    b2.set_device("cpp_standalone", directory=args.dir, build_on_run=False)
    b2.prefs.devices.cpp_standalone.openmp_threads = 0
    b2.seed(int(spec.get("seed", 1)))
    net, monitors = build_network(b2, spec, args.duration)
    net.run(args.duration * b2.ms)
    b2.device.build(directory=args.dir, compile=True, run=False, with_output=False)
    elapsed = time.perf_counter() - start
    files = {}
    for name, mon in monitors.items():
        files[name] = {"i": b2.device.get_array_filename(mon.variables["i"]),
                       "t": b2.device.get_array_filename(mon.variables["t"])}
    json.dump({"codegen_compile_s": elapsed, "dir": os.path.abspath(args.dir),
               "binary": "main", "spike_files": files, "brian2": b2.__version__,
               "compile_args": b2.prefs.codegen.cpp.extra_compile_args_gcc}, sys.stdout)


def run_runtime(args):
    import brian2 as b2
    spec = load(args.network)
    b2.prefs.codegen.target = args.target
    b2.seed(int(spec.get("seed", 1)))
    start = time.perf_counter()
    net, monitors = build_network(b2, spec, args.duration)
    # Network construction, connect() and initial values run now, in runtime mode.
    built = time.perf_counter()
    net.run(args.duration * b2.ms)
    finished = time.perf_counter()
    loop = b2.device._last_run_time  # the simulation loop alone, without run()'s preparation
    os.makedirs(args.spikes, exist_ok=True)
    files = {}
    for name, mon in monitors.items():
        fi = os.path.join(args.spikes, f"{name}_i.bin")
        ft = os.path.join(args.spikes, f"{name}_t.bin")
        mon.i[:].astype("<i4").tofile(fi)
        (mon.t[:] / b2.second).astype("<f8").tofile(ft)
        files[name] = {"i": fi, "t": ft}
    json.dump({"build_s": built - start, "prepare_s": finished - built - loop, "sim_s": loop,
               "spike_files": files, "brian2": b2.__version__, "target": args.target},
              sys.stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build-standalone")
    r = sub.add_parser("run-runtime")
    for p in (b, r):
        p.add_argument("network")
        p.add_argument("--duration", type=float, required=True, help="ms")
    b.add_argument("--dir", required=True)
    r.add_argument("--target", default="cython", choices=["cython", "numpy"])
    r.add_argument("--spikes", required=True)
    args = parser.parse_args()
    # Brian2 reports through the logging module; keep stdout for the JSON answer.
    import logging
    logging.getLogger("brian2").setLevel(logging.WARNING)
    {"build-standalone": build_standalone, "run-runtime": run_runtime}[args.command](args)


if __name__ == "__main__":
    main()
