"""Child side of the toy pack: call the student's objects, return raw outputs."""
import os
import sys


def double(subject, inputs):
    return {"returned": [subject.main(x) for x in inputs["xs"]]}


def counter(subject, inputs):
    tally = subject["counter"]()
    for amount in inputs["adds"]:
        tally.add(amount)
    return {"total": tally.total()}


def scaled(subject, inputs):
    return {"returned": [subject.main(x) for x in inputs["xs"]],
            "runtime_variable": os.environ.get("TOY_RUNTIME", ""),
            "preloaded": "fractions" in sys.modules}


def counts(module, candidates):
    """The class whose instances add numbers up: total() after add(1), add(2) is 3."""
    for name in candidates:
        try:
            instance = getattr(module, name)()
            instance.add(1)
            instance.add(2)
            if instance.total() == 3:
                return name
        except Exception:
            continue
    return None


PROBES = {"double": double, "counter": counter, "scaled": scaled, "judge_raises": double}
FINDERS = {"counts": counts}
