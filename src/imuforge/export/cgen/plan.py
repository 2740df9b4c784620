"""Static buffer plan: tensor lifetimes → offsets in one arena.

Reshape-like ops (RESHAPE, EXPAND_DIMS, SQUEEZE) move no bytes: their output shares the storage
of their input ("alias group"). The model input is read where the caller keeps it and the model
output is written where the caller wants it, so neither takes arena space. Every other group
lives from the step that writes it to the last step that reads it (inclusive: kernels never run
in place); groups whose lifetimes overlap get disjoint byte ranges, placed largest first at
the lowest offset that fits (first fit). The arena is at least the peak of simultaneously
live bytes; the plan reports both.
"""

from __future__ import annotations

from dataclasses import dataclass

ALIGN = 8


@dataclass(frozen=True)
class Step:
    """One kernel call: the tensors it reads and writes (aliases are not steps)."""

    reads: tuple[int, ...]
    writes: tuple[int, ...]


@dataclass(frozen=True)
class Place:
    where: str    # 'input', 'output' or 'arena'
    offset: int   # byte offset within that buffer


@dataclass
class BufferPlan:
    places: dict[int, Place]       # tensor index → where its bytes are
    arena_bytes: int
    peak_live_bytes: int


class _Groups:
    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, t: int) -> int:
        self.parent.setdefault(t, t)
        while self.parent[t] != t:
            self.parent[t] = self.parent[self.parent[t]]
            t = self.parent[t]
        return t

    def union(self, a: int, b: int) -> None:
        self.parent[self.find(b)] = self.find(a)


def _lifetimes(steps: list[Step], groups: _Groups) -> dict[int, list[int]]:
    life: dict[int, list[int]] = {}
    for i, st in enumerate(steps):
        for t in st.reads + st.writes:
            g = groups.find(t)
            span = life.setdefault(g, [i, i])
            span[0], span[1] = min(span[0], i), max(span[1], i)
    return life


def _first_fit(order: list[int], life: dict[int, list[int]], size: dict[int, int]) -> dict[int, int]:
    placed: dict[int, int] = {}
    for g in order:
        busy = sorted((placed[h], placed[h] + size[h]) for h in placed
                      if life[h][0] <= life[g][1] and life[g][0] <= life[h][1])
        off = 0
        for lo, hi in busy:
            if off + size[g] <= lo:
                break
            off = max(off, -(-hi // ALIGN) * ALIGN)
        placed[g] = off
    return placed


def plan_buffers(steps: list[Step], aliases: list[tuple[int, int]], nbytes: dict[int, int],
                 model_input: int, model_output: int) -> BufferPlan:
    """Place every tensor the steps touch; ``aliases`` are ``(source, view)`` pairs sharing bytes."""
    groups = _Groups()
    for src, view in aliases:
        groups.union(src, view)
    g_in, g_out = groups.find(model_input), groups.find(model_output)
    if g_in == g_out:
        raise ValueError("the model output is a reshaped view of its input; there is nothing to compute")
    life = _lifetimes(steps, groups)
    arena_groups = [g for g in life if g not in (g_in, g_out)]
    size = {g: max(nbytes[t] for t in groups.parent if groups.find(t) == g) for g in arena_groups}
    order = sorted(arena_groups, key=lambda g: (-size[g], life[g][0]))
    offsets = _first_fit(order, life, size)
    arena = max((offsets[g] + size[g] for g in offsets), default=0)
    arena = -(-arena // ALIGN) * ALIGN
    peak = max((sum(size[g] for g in arena_groups if life[g][0] <= i <= life[g][1])
                for i in range(len(steps))), default=0)
    places: dict[int, Place] = {}
    for t in set(groups.parent) | {model_input, model_output}:
        g = groups.find(t)
        places[t] = Place("input", 0) if g == g_in else Place("output", 0) if g == g_out else \
            Place("arena", offsets[g]) if g in offsets else Place("arena", 0)
    return BufferPlan(places, arena, peak)
