"""What every task family of the pack shares: tolerances, reference answers in context,
messages in the student's terms and the side-effect check."""
import dataclasses

import numpy as np

from grader.authoring import describe_value, in_student_terms, to_array, verdict

F64 = {"rtol": 1e-7, "atol": 1e-9}
ARROW = "\u2192"
CLASSIC = "This matches a classic mistake: "


def with_expected(cases, expected):
    """The cases, each with the reference answer `expected(inputs)` in its parent-only
    context: computed once with the inputs, not once per judged submission."""
    return [dataclasses.replace(case, context={**case.context, "expected": expected(case.inputs)})
            for case in cases]


# ------------------------------------------------------------ messages that teach
def plain_text(message):
    """A message without internal module paths, machine folders or object addresses."""
    return in_student_terms(message)


def describe(value):
    """describe_value, in plain words (no internal module path)."""
    return plain_text(describe_value(value))


def lead_with_mistake(check):
    """A failing check whose message names a classic mistake says it first: the first
    line is what is wrong in the student's terms, the numbers follow."""
    if check.passed or CLASSIC not in check.message:
        return check
    details, named = check.message.split(CLASSIC, 1)
    named = named.rstrip(". ")
    return dataclasses.replace(check, message=f"Classic mistake: {named}.\n{details.strip()}")


def teaching(judge):
    """A judge whose messages lead with the named mistake and hold no internal path."""
    def judged(case, outputs):
        return [dataclasses.replace(check, message=plain_text(check.message))
                for check in map(lead_with_mistake, judge(case, outputs))]
    judged.__name__ = judge.__name__
    judged.__doc__ = judge.__doc__
    return judged


# ------------------------------------------------------------ side effects
def _array_change(key, before, after):
    """What happened to one array entry of the caller's data, or None if nothing."""
    got = to_array(after)
    if got is None:
        return f"{key} was replaced by {describe(after)}"
    if got.shape != before.shape:
        return f"{key} changed shape from {before.shape} to {got.shape}"
    differ = int(np.sum(got != before))
    if differ:
        return f"{key} holds new values ({differ:,} of {before.size:,} entries differ)"
    return None


def changes(before, after, name, may_add_keys=False):
    """Every change the call made to one argument (an array or a dict of arrays); with
    `may_add_keys`, keys the call added to a dict are not a change."""
    if isinstance(before, dict):
        if not isinstance(after, dict):
            return [f"{name} is now {describe(after)}"]
        found = []
        added = [] if may_add_keys else [k for k in after if k not in before]
        removed = [k for k in before if k not in after]
        if added:
            found.append(f"keys added to {name}: {', '.join(map(str, added[:8]))}"
                         + (", ..." if len(added) > 8 else ""))
        if removed:
            found.append(f"keys removed from {name}: {', '.join(map(str, removed[:8]))}")
        for key in before:
            if key in after:
                change = _array_change(f"{name}[{key!r}]", np.asarray(before[key]), after[key])
                if change:
                    found.append(change)
        return found
    change = _array_change(name, np.asarray(before), after)
    return [change] if change else []


def leaves_unchanged(case, outputs, names, hints=None, may_add_keys=()):
    """One check: the call left the caller's arguments `names` as they were.

    `outputs[name]` is the argument as the probe found it after the call; `case.inputs`
    holds it as it was generated (read-only). Dicts named in `may_add_keys` may gain
    keys (a cache that also stores each layer's dZ changes nothing the caller had).
    `hints(found)` may say how the change probably happened; else the message gives the
    general advice."""
    title = "leaves the caller's " + " and ".join(names) + " unchanged"
    found, changed = [], []
    for name in names:
        if name in outputs:
            these = changes(case.inputs[name], outputs[name], name, name in may_add_keys)
            found += these
            changed += [name] if these else []
    if not found:
        return verdict(title, True)
    message = (f"your function changed the caller's {' and '.join(changed)}: "
               f"{'; '.join(found[:4])}{'; ...' if len(found) > 4 else ''}.")
    extra = hints(found) if hints else ""
    return verdict(title, False, message + " " + (
        extra or "The caller still needs its arguments as they were: compute with new arrays "
                 "instead of writing into theirs (in-place operations such as -=, *= or "
                 "[...] = on an argument change the caller's array)."))
