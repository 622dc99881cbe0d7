"""The float64 numpy/scipy reference's whole pipeline (fit, forward solve, M reverse-flow samples)
on the reference 2-D mixture, with the settings of minevo's runOuSampler: N = 1000 collocation
points from N(0, 4I) ('broad2'), n = 100, eps = 1e-6, weight decay 1e-4, 100 LM iterations,
rtol = atol = 1e-4 forward to T = 5, sampler rtol = atol = 1e-6, M = 5000.

Usage: python3 reference_pipeline.py /path/to/shared/reference  -> one JSON line on stdout.
Imports the reference's modules unchanged; only the driver (timing, t = 5 metric) is here.
"""
import contextlib, io, json, os, sys, time

sys.path.insert(0, sys.argv[1])
import numpy as np  # noqa: E402
import mne  # noqa: E402
import sampler  # noqa: E402

cfg = {"form": "l", "H": 32, "depth": 2, "actn": "tanh", "quad": True, "N": 1000, "n": 100, "eps": 1e-6,
       "pts": "broad2", "ridge": 1e-4, "rtol": 1e-4, "atol": 1e-4, "fit_iters": 100, "T": 5.0, "keep_dense": True}
start = time.time()
with contextlib.redirect_stdout(io.StringIO()):
    out = mne.run(cfg)
forward_done = time.time()
with contextlib.redirect_stdout(io.StringIO()):
    res, x0, lw = sampler.sample(out, M=5000)
end = time.time()
ts = [D[0] for D in out["dense"]]
errors = {m["t"]: m["score_rel"] for m in out["metrics"]}
errors[5.0] = mne.metrics(out["net"], sampler.theta_at(out["dense"], ts, 5.0), 5.0, cfg["form"])["score_rel"]
print(json.dumps({
    "wall": end - start, "fit": out["tfit"], "forward": out["wall"], "sample": res["wall"],
    "status": out["status"], "t_reached": out["t_reached"], "nfev": out["nfev"],
    "errors": {str(k): v for k, v in errors.items()}, "ess_over_m": res["ESS_over_M"], "log_z": res["logZ"],
    "mode0_weighted": res["mode0_weighted"], "threads": os.environ.get("OMP_NUM_THREADS", "default"),
}))
