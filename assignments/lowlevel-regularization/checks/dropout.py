"""Task `dropout`: inverted dropout, judged statistically at two rates.

At rate 0.5, keeping units with probability `rate` instead of `1 - rate` is
invisible, so the rates are 0.2 and 0.7. Each call drops from positive activations
(400 x 64 = 25,600 units), so a dropped unit is exactly 0 and a kept one is
h / (1 - rate). The count of kept units is judged with Hoeffding's inequality at
FALSE_FAIL_RATE (1e-9) per call: two calls, a false fail about once in 5e8
gradings; a wrong keep probability (rate instead of 1 - rate) is 0.4 away, twenty
times the interval's half-width (0.02). The mask must come from the `rng` given:
two calls with generators seeded alike must drop the same units.
"""
import numpy as np

from grader.authoring import Case, binomial_interval, describe_value, to_array, verdict

SHAPE = (400, 64)
RATES = (0.2, 0.7)
SCALE_MISTAKES = (  # (factor a kept unit is multiplied by, what the code did)
    (lambda rate: 1.0, "kept units are not scaled up: inverted dropout divides them by "
                       "1 - rate (the seed's commented-out `h1 /= (1 - dropout_rate)`), so "
                       "training and evaluation activations differ in scale"),
    (lambda rate: 1.0 - rate, "kept units are multiplied by 1 - rate instead of divided"),
    (lambda rate: 1.0 / rate, "kept units are divided by rate instead of 1 - rate"),
)


def dropout_cases(ctx):
    rng = ctx.rng
    return [Case(f"rate {rate}, {SHAPE[0]} x {SHAPE[1]} positive activations",
                 {"h": rng.uniform(0.05, 3.0, SHAPE), "rate": rate,
                  "seed": int(rng.integers(0, 2 ** 31))})
            for rate in RATES]


def dropout_judge(case, outputs):
    h, rate = case.inputs["h"], case.inputs["rate"]
    first, again = (_output(outputs[name]) for name in ("first", "again"))
    if first is None or first.shape != h.shape:
        return [verdict("returns the activations after dropout", False,
                        f"expected an array of shape {h.shape} (or a tuple whose first item "
                        f"is one), got {describe_value(outputs['first'])}")]
    return [_values_check(first, h, rate), _rate_check(first, rate),
            _per_entry_check(first), _rng_check(first, again)]


def _output(returned):
    """The activations: the returned array, or the first item of a returned tuple."""
    if isinstance(returned, (list, tuple)) and returned:
        returned = returned[0]
    return to_array(returned)


def _values_check(out, h, rate):
    name = "each unit is 0 or h / (1 - rate)"
    kept = out != 0
    if np.allclose(out[kept], h[kept] / (1 - rate), rtol=1e-7, atol=0):
        return verdict(name, True)
    factors = out[kept] / h[kept]
    for factor, explanation in SCALE_MISTAKES:
        if kept.any() and np.allclose(factors, factor(rate), rtol=1e-7, atol=0):
            return verdict(name, False, f"with rate={rate}, kept units are h * "
                                        f"{factor(rate):.4g}. Classic mistake: {explanation}.")
    return verdict(name, False, f"with rate={rate}, kept units should be h / {1 - rate:.4g}; "
                                f"their ratio to h ranges from {factors.min():.4g} to "
                                f"{factors.max():.4g}" if kept.any() else
                   f"with rate={rate}, every unit was dropped")


def _rate_check(out, rate):
    name = "each unit is kept with probability 1 - rate"
    kept, trials = int(np.count_nonzero(out)), out.size
    low, high = binomial_interval(trials, 1 - rate)
    if low <= kept <= high:
        return verdict(name, True)
    swapped_low, swapped_high = binomial_interval(trials, rate)
    hint = (" Classic mistake: units are kept with probability rate (drop them with "
            "probability rate: keep where rng.random(h.shape) >= rate)."
            if swapped_low <= kept <= swapped_high else "")
    return verdict(name, False, f"with rate={rate}, {kept} of {trials} units were kept "
                                f"({kept / trials:.3f}); a count in [{low}, {high}] is "
                                f"expected.{hint}")


def _per_entry_check(out):
    kept = out != 0
    shared = ("every sample (row) has the same mask" if (kept == kept[:1]).all() else
              "every unit of a sample is kept or dropped together"
              if (kept == kept[:, :1]).all() else "")
    return verdict("a fresh draw for every unit of every sample", not shared,
                   f"{shared}: draw one value per entry (rng.random(h.shape))")


def _rng_check(first, again):
    same = again is not None and again.shape == first.shape and np.array_equal(first, again)
    return verdict("draws from the rng it is given", same, (
        "two calls with generators seeded alike dropped different units: draw the mask "
        "from the `rng` argument (rng.random(h.shape)), not from np.random or a generator "
        "made inside dropout"))
