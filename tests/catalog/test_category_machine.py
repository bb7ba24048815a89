"""The category tree as a hypothesis state machine against a simple model, on both
backends: random create / rename / move / reorder / delete / place sequences never make
a cycle, never orphan a product, never delete a non-empty node, refuse exactly what the
model refuses, and leave the stored tree equal to the model after every step."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from veriseal.catalog.errors import CategoryCycle, CategoryNameTaken, CategoryNotEmpty
from veriseal.catalog.keys import KeySource, create_key_file
from veriseal.catalog.products import make_product
from veriseal.config import Config
from veriseal.engine import Engine
from veriseal.models import Brand

from .test_categories import gtin

T = TypeVar("T")
NAMES = st.sampled_from(["a", "b", "茶"])
_brands = itertools.count()


class Model:
    """parent and name of each node; siblings in order; each product's node."""

    def __init__(self) -> None:
        self.parent: dict[int, int | None] = {}
        self.name: dict[int, str] = {}
        self.order: dict[int | None, list[int]] = {None: []}
        self.placed: dict[str, int | None] = {}

    def taken(self, parent: int | None, name: str, but: int | None = None) -> bool:
        return any(self.name[c] == name and c != but for c in self.order[parent])

    def below(self, node: int) -> set[int]:
        out, todo = set(), [node]
        while todo:
            n = todo.pop()
            out.add(n)
            todo += self.order[n]
        return out

    def path(self, node: int | None) -> tuple[str, ...]:
        names: list[str] = []
        while node is not None:
            names.insert(0, self.name[node])
            node = self.parent[node]
        return tuple(names)


class TreeMachine(RuleBasedStateMachine):
    loop: asyncio.AbstractEventLoop
    engine: Engine

    def __init__(self) -> None:
        super().__init__()
        self.model = Model()
        self.brand: Brand = self.run(
            self.engine.brands.create(f"m{next(_brands)}", "M", "id.m.example")
        )
        self.cats = self.engine.catalogue.categories
        # GTINs are unique in the whole ledger: each brand gets its own three
        self.gtins = [gtin(1000 + 3 * self.brand.id + i) for i in range(3)]
        for g in self.gtins:
            self.run(self.engine.catalogue.add(make_product(self.brand, g, "tea " + g)))
        self.model.placed = dict.fromkeys(self.gtins)

    def run(self, aw: Awaitable[T]) -> T:
        return self.loop.run_until_complete(aw)

    def node(self, data: st.DataObject, *, none: bool = False) -> int | None:
        choices: list[int | None] = sorted(self.model.name)
        if none:
            choices = [None, *choices]
        return data.draw(st.sampled_from(choices)) if choices else None

    @rule(data=st.data(), name=NAMES)
    def create(self, data: st.DataObject, name: str) -> None:
        parent = self.node(data, none=True)
        if self.model.taken(parent, name):
            with pytest.raises(CategoryNameTaken):
                self.run(self.cats.create(self.brand, name, parent_id=parent))
            return
        made = self.run(self.cats.create(self.brand, name, parent_id=parent))
        self.model.parent[made.id] = parent
        self.model.name[made.id] = name
        self.model.order[made.id] = []
        self.model.order[parent].append(made.id)

    @rule(data=st.data(), name=NAMES)
    def rename(self, data: st.DataObject, name: str) -> None:
        node = self.node(data)
        if node is None:
            return
        if self.model.taken(self.model.parent[node], name, but=node):
            with pytest.raises(CategoryNameTaken):
                self.run(self.cats.rename(self.brand, node, name))
            return
        self.run(self.cats.rename(self.brand, node, name))
        self.model.name[node] = name

    @rule(data=st.data(), position=st.none() | st.integers(-1, 5))
    def move(self, data: st.DataObject, position: int | None) -> None:
        node, parent = self.node(data), self.node(data, none=True)
        if node is None:
            return
        if parent is not None and parent in self.model.below(node):
            with pytest.raises(CategoryCycle):
                self.run(self.cats.move(self.brand, node, parent, position))
            return
        if self.model.taken(parent, self.model.name[node], but=node):
            with pytest.raises(CategoryNameTaken):
                self.run(self.cats.move(self.brand, node, parent, position))
            return
        self.run(self.cats.move(self.brand, node, parent, position))
        self.model.order[self.model.parent[node]].remove(node)
        siblings = self.model.order[parent]
        at = len(siblings) if position is None else max(0, min(position, len(siblings)))
        siblings.insert(at, node)
        self.model.parent[node] = parent

    @rule(data=st.data(), position=st.integers(-2, 6))
    def reorder(self, data: st.DataObject, position: int) -> None:
        node = self.node(data)
        if node is None:
            return
        self.run(self.cats.reorder(self.brand, node, position))
        siblings = self.model.order[self.model.parent[node]]
        siblings.remove(node)
        siblings.insert(max(0, min(position, len(siblings))), node)

    @rule(data=st.data())
    def delete(self, data: st.DataObject) -> None:
        node = self.node(data)
        if node is None:
            return
        if self.model.order[node] or node in self.model.placed.values():
            with pytest.raises(CategoryNotEmpty):
                self.run(self.cats.delete(self.brand, node))
            return
        self.run(self.cats.delete(self.brand, node))
        self.model.order[self.model.parent[node]].remove(node)
        del self.model.parent[node], self.model.name[node], self.model.order[node]

    @rule(data=st.data(), which=st.integers(0, 2))
    def place(self, data: st.DataObject, which: int) -> None:
        g = self.gtins[which]
        node = self.node(data, none=True)
        self.run(self.cats.place(self.brand, g, node))
        self.model.placed[g] = node

    @invariant()
    def stored_tree_equals_the_model(self) -> None:
        tree = self.run(self.cats.tree(self.brand))
        got = {c.id: (c.parent_id, c.name, c.position, c.path) for c in tree}
        want: dict[int, Any] = {}
        for parent, children in self.model.order.items():
            for pos, c in enumerate(children):
                want[c] = (parent, self.model.name[c], pos, self.model.path(c))
        assert got == want
        for g in self.gtins:  # no product ever points at a missing node
            product = self.run(self.engine.catalogue.get(self.brand, g))
            assert product.category_id == self.model.placed[g]
            assert product.category == self.model.path(self.model.placed[g])


def test_tree_operations_follow_the_model(ledger_url: str, tmp_path: Path) -> None:
    key_file = tmp_path / "k.key"
    create_key_file(key_file)
    cfg = Config(path=None, db_url=ledger_url, key_source=KeySource(key_file=key_file))
    loop = asyncio.new_event_loop()
    try:
        TreeMachine.loop = loop
        TreeMachine.engine = loop.run_until_complete(Engine.open(cfg))
        try:
            run_state_machine_as_test(
                TreeMachine,
                settings=settings(
                    max_examples=20,
                    stateful_step_count=25,
                    deadline=None,
                    suppress_health_check=list(HealthCheck),
                ),
            )
        finally:
            loop.run_until_complete(TreeMachine.engine.close())
    finally:
        loop.close()
