"""Reference step counts for the Arenstorf orbit (Hairer, Nørsett & Wanner, Solving ODE I, §II.0).

Run from this folder:  python3 arenstorf_scipy.py > arenstorf-scipy.json
The tests read arenstorf-scipy.json; they do not run this script.
"""
import json
import sys

import numpy as np
import scipy
from scipy.integrate import solve_ivp

MU = 0.012277471
MU_PRIME = 1.0 - MU
PERIOD = 17.0652165601579625588917206249
Y0 = [0.994, 0.0, 0.0, -2.00158510637908252240537862224]
TOL = 1e-10


def arenstorf(_t, y):
    y1, y2, v1, v2 = y
    d1 = ((y1 + MU) ** 2 + y2**2) ** 1.5
    d2 = ((y1 - MU_PRIME) ** 2 + y2**2) ** 1.5
    return [
        v1,
        v2,
        y1 + 2 * v2 - MU_PRIME * (y1 + MU) / d1 - MU * (y1 - MU_PRIME) / d2,
        y2 - 2 * v1 - MU_PRIME * y2 / d1 - MU * y2 / d2,
    ]


# Evaluations per step attempt and at start-up (f(t0, y0) plus one for the initial step).
STAGES = {"RK45": 6, "DOP853": 12}
STARTUP = 2

results = {}
for method, per_attempt in STAGES.items():
    sol = solve_ivp(arenstorf, (0.0, PERIOD), Y0, method=method, rtol=TOL, atol=TOL)
    accepted = len(sol.t) - 1
    attempts = (sol.nfev - STARTUP) // per_attempt
    results[method] = {
        "status": int(sol.status),
        "nfev": int(sol.nfev),
        "accepted": accepted,
        "rejected": attempts - accepted,
        "returnError": float(np.max(np.abs(sol.y[:, -1] - np.array(Y0)))),
    }

json.dump(
    {
        "problem": "Arenstorf orbit, mu = 0.012277471, one period T = 17.0652165601579625588917206249",
        "rtol": TOL,
        "atol": TOL,
        "command": "python3 arenstorf_scipy.py > arenstorf-scipy.json",
        "scipy": scipy.__version__,
        "python": sys.version.split()[0],
        "controller": "scipy: I controller, safety 0.9, factor bounds [0.2, 10], RMS norm, no step growth right after a rejection",
        "results": results,
    },
    sys.stdout,
    indent=2,
)
print()
