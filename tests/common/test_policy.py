"""Tests of the policy language: parsing, error messages, evaluation with one signer per leaf, minimal org sets."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Union

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridledger.common.policy import Gate, Policy, PolicyError, Principal, parse_policy

P = Principal


def subsets(items: Sequence[str]) -> list[tuple[str, ...]]:
    return [combo for size in range(len(items) + 1) for combo in itertools.combinations(items, size)]


def peers(orgs: Sequence[str], role: str = "peer") -> list[Principal]:
    return [P(org, role) for org in orgs]


# ----------------------------------------------------------------------------------------------------------------
# Parsing


def test_expression_text_is_kept_and_tree_is_built() -> None:
    text = "AND('A.peer', OR('B.admin', 'C.member'))"
    policy = parse_policy(text)
    assert policy.expression == text
    assert str(policy) == text
    assert policy.root == Gate(2, (P("A", "peer"), Gate(1, (P("B", "admin"), P("C", "member")))))


def test_keywords_are_case_insensitive_and_both_quote_styles_work() -> None:
    lower = parse_policy("and('A.peer', or(\"B.peer\", outof(1, 'C.peer')))")
    upper = parse_policy("AND('A.peer', OR('B.peer', OutOf(1, 'C.peer')))")
    mixed = parse_policy("And(  'A.peer' ,\n\tOr('B.peer',OUTOF(1,\"C.peer\")) )")
    assert lower.root == upper.root == mixed.root


def test_last_dot_separates_the_role_from_a_dotted_msp_id() -> None:
    policy = parse_policy("'org1.example.com.admin'")
    assert policy.root == P("org1.example.com", "admin")
    assert policy.principals() == frozenset({P("org1.example.com", "admin")})


def test_all_roles_are_accepted() -> None:
    for role in ("member", "peer", "orderer", "client", "admin"):
        assert parse_policy(f"'Org_1-x.{role}'").root == P("Org_1-x", role)


def test_majority_any_all_expand_over_channel_orgs_with_default_role() -> None:
    orgs = ["O1", "O2", "O3", "O4"]
    assert parse_policy("MAJORITY", orgs, "peer").root == Gate(3, tuple(peers(orgs)))
    assert parse_policy("majority", orgs[:3], "admin").root == Gate(2, tuple(peers(orgs[:3], "admin")))
    assert parse_policy("ANY", orgs).root == Gate(1, tuple(peers(orgs, "member")))
    assert parse_policy("All", orgs, "peer").root == Gate(4, tuple(peers(orgs)))
    assert parse_policy("MAJORITY(peer)", ["O1"]).root == Gate(1, (P("O1", "peer"),))


def test_explicit_role_overrides_default_role() -> None:
    orgs = ["O1", "O2"]
    assert parse_policy("ANY(admin)", orgs, "peer").root == Gate(1, tuple(peers(orgs, "admin")))
    assert parse_policy("ALL( client )", orgs, "peer").root == Gate(2, tuple(peers(orgs, "client")))


def test_channel_orgs_are_deduplicated_in_order() -> None:
    assert parse_policy("ALL", ["B", "A", "B"], "peer").root == Gate(2, (P("B", "peer"), P("A", "peer")))


def test_known_org_principal_is_accepted_when_orgs_given() -> None:
    policy = parse_policy("AND('Org1.peer', MAJORITY)", ["Org1", "Org2", "Org3"], "admin")
    assert policy.principals() == frozenset({P("Org1", "peer")} | set(peers(["Org1", "Org2", "Org3"], "admin")))


MALFORMED: list[tuple[str, Sequence[str], list[str]]] = [
    ("AND('Org1.peer',)", (), ["policy 'AND('Org1.peer',)': expected a principal or sub-expression at position 17"]),
    ("AND()", (), ["expected a principal or sub-expression at position 5"]),
    ("", (), ["expected a principal or sub-expression at position 1"]),
    (")", (), ["expected a principal or sub-expression at position 1"]),
    ("AND('A.peer', 'B.peer'", (), ["expected ',' or ')' at position 23", "unbalanced parentheses"]),
    ("OR(AND('A.peer', 'B.peer')", (), ["unbalanced parentheses: '(' at position 3 is not closed"]),
    ("AND('A.peer'))", (), ["expected the end of the policy at position 14", "trailing ')'"]),
    ("'A.peer' 'B.peer'", (), ["expected the end of the policy at position 10"]),
    ("AND('A.peer' 'B.peer')", (), ["expected ',' or ')' at position 14"]),
    ("OutOf(3, 'A.peer', 'B.peer')", (), ["OutOf threshold 3 out of range at position 7", "between 1 and 2"]),
    ("OutOf(0, 'A.peer')", (), ["OutOf threshold 0 out of range at position 7"]),
    ("OutOf(1.5, 'A.peer')", (), ["expected a positive integer threshold for OutOf at position 7", "'1.5'"]),
    ("OutOf('A.peer', 'B.peer')", (), ["expected a positive integer threshold for OutOf at position 7"]),
    ("OutOf(-1, 'A.peer')", (), ["expected a positive integer threshold for OutOf at position 7"]),
    ("OutOf(2)", (), ["expected ',' and at least one sub-expression after the OutOf threshold at position 8"]),
    ("OR(Org1MSP.peer)", (), ["expected a principal or sub-expression at position 4", "principals must be quoted"]),
    ("XOR('A.peer')", (), ["at position 1", "keywords are AND, OR, OutOf"]),
    ("AND 'A.peer'", (), ["expected '(' after AND at position 5"]),
    ("'A.boss'", (), ["unknown role 'boss' in principal at position 1", "admin, client, member, orderer, peer"]),
    ("'Apeer'", (), ["expected a principal written 'MSPID.role' at position 1"]),
    ("'.peer'", (), ["expected a principal written 'MSPID.role' at position 1"]),
    ("'A B.peer'", (), ["invalid MSP id 'A B' in principal at position 1"]),
    ("OR('A.peer', 'B.peer", (), ["unterminated principal at position 14"]),
    ("'A.peer' & 'B.peer'", (), ["unexpected character '&' at position 10"]),
    ("AND('Org1.peer', 'Org9.peer')", ("Org1", "Org2"), ["unknown organisation 'Org9' at position 18", "Org1, Org2"]),
    ("MAJORITY", (), ["MAJORITY needs the channel organisations at position 1"]),
    ("AND('A.peer', ANY(peer))", (), ["ANY needs the channel organisations at position 15"]),
    ("ALL", (), ["ALL needs the channel organisations"]),
    ("ANY(boss)", ("A",), ["unknown role 'boss' at position 5", "allowed roles: admin, client, member"]),
    ("ALL()", ("A",), ["expected a role for ALL at position 5"]),
    ("MAJORITY(peer", ("A",), ["expected ')' after the role of MAJORITY at position 14"]),
]


@pytest.mark.parametrize(
    ("expression", "orgs", "fragments"), MALFORMED, ids=[case[0] or "<empty>" for case in MALFORMED]
)
def test_malformed_expressions_are_rejected_with_position(
    expression: str, orgs: Sequence[str], fragments: list[str]
) -> None:
    with pytest.raises(PolicyError) as caught:
        parse_policy(expression, orgs)
    message = str(caught.value)
    assert message.startswith(f"policy '{expression}': ")
    for fragment in fragments:
        assert fragment in message
    assert caught.value.position is not None
    assert f"at position {caught.value.position}" in message


def test_policy_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown role"):
        parse_policy("'A.nobody'")


def test_bad_default_role_is_rejected() -> None:
    with pytest.raises(PolicyError, match="unknown default role 'boss'"):
        parse_policy("ANY", ["A"], default_role="boss")


def test_bad_channel_org_is_rejected() -> None:
    with pytest.raises(PolicyError, match="invalid channel organisation 'A B'"):
        parse_policy("ANY", ["A B"])


# ----------------------------------------------------------------------------------------------------------------
# Truth tables (one peer per listed org)

ORGS3 = ["A", "B", "C"]
ORGS4 = ["A", "B", "C", "D"]

TRUTH_TABLES: list[tuple[str, Sequence[str], list[str], Callable[[set[str]], bool]]] = [
    ("AND('A.peer', 'B.peer')", (), ORGS3, lambda s: {"A", "B"} <= s),
    ("AND('A.peer', 'B.peer', 'C.peer')", (), ORGS3, lambda s: s == {"A", "B", "C"}),
    ("OR('A.peer', 'B.peer')", (), ORGS3, lambda s: bool(s & {"A", "B"})),
    ("'B.peer'", (), ORGS3, lambda s: "B" in s),
    ("OutOf(1, 'A.peer', 'B.peer', 'C.peer')", (), ORGS3, lambda s: len(s) >= 1),
    ("OutOf(2, 'A.peer', 'B.peer', 'C.peer')", (), ORGS3, lambda s: len(s) >= 2),
    ("OutOf(3, 'A.peer', 'B.peer', 'C.peer')", (), ORGS3, lambda s: len(s) == 3),
    ("OutOf(2, 'A.peer', 'B.peer', 'C.peer', 'D.peer')", (), ORGS4, lambda s: len(s) >= 2),
    ("MAJORITY", ORGS3, ORGS3, lambda s: len(s) >= 2),
    ("MAJORITY", ORGS4, ORGS4, lambda s: len(s) >= 3),
    ("MAJORITY(peer)", ORGS4, ORGS4, lambda s: len(s) >= 3),
    ("ANY", ORGS3, ORGS3, lambda s: len(s) >= 1),
    ("ANY", ORGS4, ORGS4, lambda s: len(s) >= 1),
    ("ALL", ORGS3, ORGS3, lambda s: len(s) == 3),
    ("ALL", ORGS4, ORGS4, lambda s: len(s) == 4),
    ("OR(AND('A.peer', 'B.peer'), 'C.peer')", (), ORGS3, lambda s: {"A", "B"} <= s or "C" in s),
    (
        "AND(OR('A.peer', 'B.peer'), OR('C.peer', 'D.peer'))",
        (),
        ORGS4,
        lambda s: bool(s & {"A", "B"} and s & {"C", "D"}),
    ),
    (
        "OutOf(2, AND('A.peer', 'B.peer'), 'C.peer', OR('D.peer', 'A.peer'))",
        (),
        ORGS4,
        # A's single peer serves either the AND or the OR, never both.
        lambda s: ({"A", "B"} <= s and ("C" in s or "D" in s)) or ("C" in s and bool(s & {"D", "A"})),
    ),
    # A's single peer is taken by the explicit leaf, so MAJORITY (3 of 4) needs B, C and D.
    ("AND('A.peer', MAJORITY)", ORGS4, ORGS4, lambda s: s == {"A", "B", "C", "D"}),
    ("AND('A.peer', MAJORITY)", ORGS3, ORGS3, lambda s: s == {"A", "B", "C"}),
    ("OR(ALL, AND('A.peer', 'B.peer'))", ORGS3, ORGS3, lambda s: {"A", "B"} <= s),
]


@pytest.mark.parametrize(
    ("expression", "orgs", "universe", "expected"),
    TRUTH_TABLES,
    ids=[f"{case[0]}/{len(case[2])}" for case in TRUTH_TABLES],
)
def test_truth_table(
    expression: str, orgs: Sequence[str], universe: list[str], expected: Callable[[set[str]], bool]
) -> None:
    policy = parse_policy(expression, orgs, "peer")
    for signing_orgs in subsets(universe):
        assert policy.evaluate(peers(signing_orgs)) is expected(set(signing_orgs)), signing_orgs


def test_wrong_role_does_not_count() -> None:
    policy = parse_policy("AND('A.peer', 'B.peer')")
    assert not policy.evaluate([P("A", "admin"), P("B", "peer")])
    assert not policy.evaluate([P("A", "peer"), P("B", "client")])
    assert policy.evaluate([P("A", "peer"), P("B", "peer"), P("A", "admin")])


def test_no_signers_never_satisfies() -> None:
    assert not parse_policy("OR('A.member', 'B.member')").evaluate([])


def test_evaluate_accepts_any_iterable() -> None:
    policy = parse_policy("OutOf(2, 'A.peer', 'B.peer', 'C.peer')")
    assert policy.evaluate(P(org, "peer") for org in "AC")
    assert policy.evaluate((P("A", "peer"), P("B", "peer")))


# ----------------------------------------------------------------------------------------------------------------
# One signer satisfies at most one leaf


def test_repeated_leaf_needs_distinct_signers() -> None:
    policy = parse_policy("OutOf(2, 'A.peer', 'A.peer')")
    assert not policy.evaluate([P("A", "peer")])
    assert policy.evaluate([P("A", "peer"), P("A", "peer")])
    assert not policy.evaluate([P("A", "peer"), P("B", "peer")])


def test_and_of_same_principal_needs_two_signers() -> None:
    policy = parse_policy("AND('A.peer', 'A.peer', 'B.peer')")
    assert not policy.evaluate([P("A", "peer"), P("B", "peer")])
    assert policy.evaluate([P("A", "peer"), P("B", "peer"), P("A", "peer")])


@pytest.mark.parametrize("role", ["peer", "admin", "client", "orderer", "member"])
def test_member_leaf_is_matched_by_any_role(role: str) -> None:
    policy = parse_policy("'A.member'")
    assert policy.evaluate([P("A", role)])
    assert not policy.evaluate([P("B", role)])


def test_member_and_specific_role_leaves_need_two_signers() -> None:
    policy = parse_policy("AND('A.member', 'A.peer')")
    assert not policy.evaluate([P("A", "peer")])
    assert policy.evaluate([P("A", "peer"), P("A", "client")])
    assert policy.evaluate([P("A", "peer"), P("A", "peer")])
    assert not policy.evaluate([P("A", "client"), P("A", "admin")])


def test_greedy_member_leaf_would_steal_the_only_peer() -> None:
    # First-fit would give the peer (listed first) to the member leaf and then find no peer for 'A.peer'.
    policy = parse_policy("AND('A.member', 'A.peer')")
    assert policy.evaluate([P("A", "peer"), P("A", "admin")])
    assert policy.evaluate([P("A", "admin"), P("A", "peer")])


def test_greedy_or_branch_would_steal_a_signer_needed_elsewhere() -> None:
    # Greedy satisfies the OR with its first branch 'A.peer', leaving nothing for the second 'A.peer' leaf;
    # the valid matching gives B's peer to the OR and A's peer to the leaf.
    policy = parse_policy("OutOf(2, OR('A.peer', 'B.peer'), 'A.peer')")
    assert policy.evaluate([P("A", "peer"), P("B", "peer")])
    assert not policy.evaluate([P("A", "peer")])
    assert not policy.evaluate([P("B", "peer"), P("B", "peer")])


def test_greedy_first_child_choice_of_outof_would_fail() -> None:
    # Satisfying the first child of the outer OutOf with the A peer blocks AND('A.peer', 'C.peer'); skipping it works.
    policy = parse_policy("OutOf(1, AND('A.peer', 'B.peer'), AND('A.peer', 'C.peer'))")
    assert policy.evaluate([P("A", "peer"), P("C", "peer")])
    policy = parse_policy("AND(OR('A.member', 'B.member'), 'A.admin', OR('A.admin', 'B.peer'))")
    assert policy.evaluate([P("A", "admin"), P("A", "admin"), P("B", "peer")])
    assert policy.evaluate([P("A", "admin"), P("B", "peer"), P("B", "client")])
    assert not policy.evaluate([P("A", "admin"), P("B", "peer")])


def test_majority_of_one_org_with_several_leaves() -> None:
    policy = parse_policy("OutOf(2, 'A.peer', 'A.peer', 'B.peer')", ["A", "B"])
    assert policy.evaluate([P("A", "peer"), P("A", "peer")])
    assert policy.evaluate([P("A", "peer"), P("B", "peer")])
    assert not policy.evaluate([P("A", "peer"), P("A", "admin")])


def test_many_signers_and_leaves_stay_fast() -> None:
    orgs = [f"Org{i}" for i in range(20)]
    policy = parse_policy(
        "AND(MAJORITY, ANY(admin), OutOf(5, " + ", ".join(f"'{o}.member'" for o in orgs) + "))", orgs, "peer"
    )
    signers = peers(orgs[:14]) + peers(orgs[:1], "admin") + peers(orgs[:5], "client")
    assert policy.evaluate(signers)
    assert not policy.evaluate(peers(orgs[:14]) + peers(orgs[:1], "admin"))


def test_majority_of_twenty_orgs_is_decided_quickly() -> None:
    # The ways to satisfy MAJORITY of 20 are C(20, 11) = 167960; the search must stop at the first (or prune at once).
    orgs = [f"Org{i}" for i in range(20)]
    policy = parse_policy("MAJORITY", orgs, "peer")
    assert policy.evaluate(peers(orgs))
    assert policy.evaluate(peers(orgs[9:]) + peers(orgs, "admin"))
    assert not policy.evaluate(peers(orgs[:10]) + peers(orgs, "admin"))


def test_many_identical_leaves_with_too_few_signers_fail_quickly() -> None:
    policy = parse_policy("OutOf(10, " + ", ".join(["'A.member'"] * 20) + ")")
    signers = [P("A", "peer")] * 3 + [P("A", "admin")] * 3 + [P("A", "client")] * 3
    assert not policy.evaluate(signers)
    assert policy.evaluate([*signers, P("A", "orderer")])


def test_all_of_many_orgs_does_not_exhaust_the_stack() -> None:
    orgs = [f"O{i}" for i in range(150)]
    policy = parse_policy("ALL", orgs, "peer")
    assert policy.evaluate(peers(orgs))
    assert not policy.evaluate(peers(orgs[1:]))


# ----------------------------------------------------------------------------------------------------------------
# principals() and satisfying_org_sets()


def test_principals_lists_every_leaf() -> None:
    policy = parse_policy("OR('A.peer', AND('B.admin', 'A.peer'), ANY)", ["A", "B"], "client")
    assert policy.principals() == frozenset({P("A", "peer"), P("B", "admin"), P("A", "client"), P("B", "client")})


def org_sets(*groups: str) -> list[frozenset[str]]:
    return [frozenset(group) for group in groups]


def test_org_sets_of_and() -> None:
    assert parse_policy("AND('B.peer', 'A.peer')").satisfying_org_sets() == org_sets("AB")


def test_org_sets_of_or() -> None:
    assert parse_policy("OR('B.peer', 'A.peer', 'C.peer')").satisfying_org_sets() == org_sets("A", "B", "C")


def test_org_sets_of_two_out_of_three() -> None:
    policy = parse_policy("OutOf(2, 'C.peer', 'B.peer', 'A.peer')")
    assert policy.satisfying_org_sets() == org_sets("AB", "AC", "BC")


def test_org_sets_of_majority() -> None:
    assert parse_policy("MAJORITY", ORGS3, "peer").satisfying_org_sets() == org_sets("AB", "AC", "BC")
    assert parse_policy("MAJORITY", ORGS4, "peer").satisfying_org_sets() == org_sets("ABC", "ABD", "ACD", "BCD")


def test_org_sets_smallest_first() -> None:
    policy = parse_policy("OR(AND('A.peer', 'B.peer'), 'C.peer')")
    assert policy.satisfying_org_sets() == org_sets("C", "AB")


def test_org_sets_drop_non_minimal_multisets() -> None:
    assert parse_policy("OR('A.peer', AND('A.peer', 'B.peer'))").satisfying_org_sets() == org_sets("A")
    assert parse_policy("OutOf(2, 'A.peer', 'A.peer')").satisfying_org_sets() == org_sets("A")


def test_org_sets_keep_distinct_minimal_multisets_with_the_same_orgs() -> None:
    # Two A peers or one A peer and one B peer: {A} needs two A signers, so {A, B} is kept as an alternative.
    policy = parse_policy("OutOf(2, 'A.peer', 'A.peer', 'B.peer')")
    assert policy.satisfying_org_sets() == org_sets("A", "AB")


def test_org_sets_are_a_fresh_list() -> None:
    policy = parse_policy("OR('A.peer', 'B.peer')")
    policy.satisfying_org_sets().clear()
    assert policy.satisfying_org_sets() == org_sets("A", "B")


# ----------------------------------------------------------------------------------------------------------------
# Property tests against a brute-force reference

Tree = Union[Principal, tuple[str, int, tuple["Tree", ...]]]  # noqa: UP007 - recursive alias needs a string forward ref

LEAF_PRINCIPALS = [P(org, role) for org in ("A", "B", "C") for role in ("peer", "admin", "member")]
SIGNER_PRINCIPALS = [P(org, role) for org in ("A", "B", "C") for role in ("peer", "admin", "client")]


def gates(children: st.SearchStrategy[Tree]) -> st.SearchStrategy[Tree]:
    def build(kids: list[Tree]) -> st.SearchStrategy[Tree]:
        and_gate = st.just(("and", len(kids), tuple(kids)))
        or_gate = st.just(("or", 1, tuple(kids)))
        out_of = st.integers(1, len(kids)).map(lambda n: ("outof", n, tuple(kids)))
        return st.one_of(and_gate, or_gate, out_of)

    return st.lists(children, min_size=1, max_size=3).flatmap(build)


trees = st.recursive(st.sampled_from(LEAF_PRINCIPALS), gates, max_leaves=6)
signer_lists = st.lists(st.sampled_from(SIGNER_PRINCIPALS), max_size=5)


def render(tree: Tree, spelling: int = 0) -> str:
    """Write the tree as policy text, varying keyword case and quotes so parsing is exercised too."""
    if isinstance(tree, Principal):
        quote = "'" if spelling % 2 else '"'
        return f"{quote}{tree.msp_id}.{tree.role}{quote}"
    kind, threshold, kids = tree
    inner = ", ".join(render(kid, spelling + index) for index, kid in enumerate(kids))
    if kind == "outof":
        return f"{'OutOf' if spelling % 2 else 'outof'}({threshold}, {inner})"
    return f"{kind.upper() if spelling % 2 else kind}({inner})"


def leaves_of(tree: Tree) -> list[Principal]:
    if isinstance(tree, Principal):
        return [tree]
    return [leaf for kid in tree[2] for leaf in leaves_of(kid)]


def holds(tree: Tree, switched_on: list[bool]) -> bool:
    """Truth of the tree when exactly the leaves (numbered left to right) marked in switched_on are satisfied."""
    position = 0

    def walk(node: Tree) -> bool:
        nonlocal position
        if isinstance(node, Principal):
            position += 1
            return switched_on[position - 1]
        _, threshold, kids = node
        return sum([walk(kid) for kid in kids]) >= threshold  # a list, so every leaf is numbered

    return walk(tree)


def leaf_accepts(leaf: Principal, signer: Principal) -> bool:
    return leaf.msp_id == signer.msp_id and leaf.role in ("member", signer.role)


def reference_evaluate(tree: Tree, signers: list[Principal]) -> bool:
    """Try every set of leaves and every injective assignment of distinct signers to them."""
    leaves = leaves_of(tree)
    for switched_on in itertools.product([False, True], repeat=len(leaves)):
        if not holds(tree, list(switched_on)):
            continue
        chosen = [leaf for leaf, on in zip(leaves, switched_on, strict=True) if on]
        for assignment in itertools.permutations(signers, len(chosen)):
            if all(leaf_accepts(leaf, signer) for leaf, signer in zip(chosen, assignment, strict=True)):
                return True
    return False


@settings(max_examples=300, deadline=None)
@given(trees, signer_lists)
def test_evaluate_agrees_with_brute_force(tree: Tree, signers: list[Principal]) -> None:
    policy = parse_policy(render(tree))
    assert policy.evaluate(signers) is reference_evaluate(tree, signers)


@settings(max_examples=300, deadline=None)
@given(trees, signer_lists, st.sampled_from(SIGNER_PRINCIPALS))
def test_adding_a_signer_never_breaks_satisfaction(tree: Tree, signers: list[Principal], extra: Principal) -> None:
    policy = parse_policy(render(tree, spelling=1))
    if policy.evaluate(signers):
        assert policy.evaluate([*signers, extra])
        assert policy.evaluate([extra, *signers])


@settings(max_examples=200, deadline=None)
@given(trees)
def test_org_sets_are_sound(tree: Tree) -> None:
    # Enough signers of every role from the orgs of one reported set always satisfy the policy.
    policy: Policy = parse_policy(render(tree))
    enough = len(leaves_of(tree))
    org_set_list = policy.satisfying_org_sets()
    assert org_set_list
    assert org_set_list == sorted(org_set_list, key=lambda orgs: (len(orgs), sorted(orgs)))
    assert len(set(org_set_list)) == len(org_set_list)
    for orgs in org_set_list:
        signers = [P(org, role) for org in sorted(orgs) for role in ("peer", "admin") for _ in range(enough)]
        assert policy.evaluate(signers)


@settings(max_examples=200, deadline=None)
@given(trees, signer_lists)
def test_org_sets_are_complete(tree: Tree, signers: list[Principal]) -> None:
    # Any satisfying set of signers covers at least one reported org set.
    policy = parse_policy(render(tree))
    if policy.evaluate(signers):
        signing_orgs = {signer.msp_id for signer in signers}
        assert any(orgs <= signing_orgs for orgs in policy.satisfying_org_sets())
