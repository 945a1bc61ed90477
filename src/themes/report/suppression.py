"""Small-number suppression, safe against working a hidden count out from the totals.

Counts from 1 to N-1 show as "<N". Then, line by line (every row or column
that adds up to a total shown), if the hidden cells could be worked out from
what is shown, the smallest other cell of that line is hidden too and shown as
"[c]"; this repeats until nothing changes. A count shown in several tables
(say the year's statutory complaints) is hidden in all of them if it is hidden
in one. Percentages of a hidden count, or of a hidden base, are hidden as well.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

from themes.report.grids import Cell, Grid


def _domain_bits(value: int, status: str, below: int, bound: int) -> int:
    """The values a reader knows a cell can take, as a bitset over 0..bound."""
    if status == "shown":
        return 1 << value
    if status == "primary":
        return ((1 << below) - 1) & ~1  # 1 .. below-1
    # Secondary: zero, or at least `below` (else it would be a primary "<N").
    return 1 | (((1 << (bound + 1)) - 1) & ~((1 << below) - 1))


def _sums(domains: Sequence[int], mask: int) -> int:
    """All totals reachable by adding one value from each domain, as a bitset."""
    reach = 1
    for domain in domains:
        nxt = 0
        bits, shift = domain, 0
        while bits:
            if bits & 1:
                nxt |= reach << shift
            bits >>= 1
            shift += 1
        reach = nxt & mask
    return reach


def _at_least_two(bits: int) -> bool:
    return bits & (bits - 1) != 0


def _line_is_safe(
    members: Sequence[Cell],
    total: Cell,
    status: dict[Cell, str],
    counts: dict[Cell, int],
    below: int,
    bound: int,
) -> bool:
    """True when no hidden cell of ``sum(members) == total`` has only one possible value."""
    mask = (1 << (bound + 1)) - 1
    hidden = [c for c in members if status[c] != "shown"]
    if not hidden and status[total] == "shown":
        return True
    shown_sum = sum(counts[c] for c in members if status[c] == "shown")
    domains = {c: _domain_bits(counts[c], status[c], below, bound) for c in (*members, total)}
    # Possible values of sum(hidden members).
    targets = domains[total] >> shown_sum
    for cell in hidden:
        others = _sums([domains[o] for o in hidden if o != cell], mask)
        feasible, bits, value = 0, domains[cell], 0
        while bits:
            if bits & 1 and (others << value) & targets:
                feasible |= 1 << value
                if _at_least_two(feasible):
                    break
            bits >>= 1
            value += 1
        if not _at_least_two(feasible):
            return False
    if status[total] != "shown":
        return _at_least_two(_sums([domains[c] for c in hidden], mask) & targets)
    return True


def _suppress(
    grid: Grid, below: int, forced: set[Hashable], demoted: set[Hashable]
) -> dict[Cell, str]:
    """How each cell is shown: "shown", "primary" (<N) or hidden as [c] ("secondary", "demoted").

    Primary: counts 1..below-1. Then cells other tables hid (``forced``), and
    complements until every line is safe.
    """
    counts = grid.counts
    status = {cell: "primary" if 0 < value < below else "shown" for cell, value in counts.items()}
    for cell, key in grid.keys.items():
        if key in demoted and status[cell] == "primary":
            status[cell] = "demoted"
        elif key in forced and status[cell] == "shown":
            status[cell] = "secondary"
    bound = max([*counts.values(), below])
    changed = True
    while changed:
        changed = False
        for members, total in grid.lines:
            if _line_is_safe(members, total, status, counts, below, bound):
                continue
            shown = [c for c in members if status[c] == "shown"]
            # The next smallest cell: a non-zero one if there is one (hiding a zero
            # protects little), else a zero, else the total itself.
            choice = sorted(shown, key=lambda c: (counts[c] == 0, counts[c], members.index(c)))
            if choice:
                status[choice[0]] = "secondary"
            elif status[total] == "shown":
                status[total] = "secondary"
            else:
                # All hidden, yet the "<N" markers still pin values (four "<5" adding up
                # to a "<5" total can only be 1 each): show one as [c], which claims
                # nothing about its size. The total first, else the largest.
                small = [c for c in (total, *members) if status[c] == "primary"]
                if not small:
                    continue
                pick = total if status[total] == "primary" else max(small, key=counts.get)
                status[pick] = "demoted"
            changed = True
    return status


def suppress_all(grids: Sequence[Grid], below: int | None) -> dict[str, dict[Cell, str]]:
    """Suppress every grid; a count shared by several tables is shown alike in all of them."""
    if not below:
        return {g.name: {} for g in grids}
    forced: set[Hashable] = set()
    demoted: set[Hashable] = set()
    while True:
        status = {g.name: _suppress(g, below, forced, demoted) for g in grids}
        hidden = {
            g.keys[c]
            for g in grids
            for c, s in status[g.name].items()
            if s != "shown" and c in g.keys
        }
        small = {
            g.keys[c]
            for g in grids
            for c, s in status[g.name].items()
            if s == "demoted" and c in g.keys
        }
        if hidden <= forced and small <= demoted:
            return status
        forced |= hidden
        demoted |= small
