"""Clusters records from pairwise evidence, honouring cannot-link pairs, and gives clusters stable person ids."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

# strongest evidence first: a record's link rule is its strongest edge inside its person
RULE_ORDER = ["must_link", "ats_person_id", "email", "phone", "linkedin", "splink"]


def strength(edges: pd.DataFrame) -> pd.Series:
    """Orders edges by evidence, lower = stronger: rule rank, then Splink score."""
    rank = edges["rule"].map({r: i for i, r in enumerate(RULE_ORDER)}).astype(float)
    return rank - edges["score"].fillna(1.0)  # lower = stronger; splink edges ordered by score


def cluster(keys: pd.Series, edges: pd.DataFrame, cannot: pd.DataFrame, old: pd.Series | None = None,
            held: pd.Series | None = None) -> np.ndarray:
    """Reads record keys, edges (at_l, at_r: the positions of their records in `keys`; rule, score) and
    cannot-link pairs (record_key_l, record_key_r) -> a label per key.

    Connected components over all edges; a component holding a cannot-link pair is rebuilt by adding
    its edges strongest first and skipping any edge that would join the two sides of a cannot-link.
    Among edges of equal strength, those inside one person of `old` (the keys' current person ids)
    go first, then the order of `edges`: a record stays where it is until the evidence changes, and
    the outcome does not depend on the order rows were read in (the caller sorts the edges).
    `held`: the keys' current person ids (NaN: none), for a run whose persons only grow (no cannot-link):
    each person's records are joined together, in place of the stored edges that join them, which
    `edges` then leaves out.
    """
    n = len(keys)
    left, right = edges["at_l"].to_numpy(dtype="int64"), edges["at_r"].to_numpy(dtype="int64")
    if held is not None:  # each record of a person to the person's first record
        if not cannot.empty:
            raise ValueError("held persons stand for their stored edges only while no cannot-link splits one")
        person = held.to_numpy(dtype=float, na_value=np.nan)
        members = np.flatnonzero(~np.isnan(person))
        members = members[np.argsort(person[members], kind="stable")]
        starts = np.r_[True, person[members][1:] != person[members][:-1]]
        first = members[np.maximum.accumulate(np.where(starts, np.arange(len(members)), 0))]
        left, right = np.concatenate([left, members]), np.concatenate([right, first])
    graph = coo_matrix((np.ones(len(left)), (left, right)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    if cannot.empty:
        return labels
    index = pd.Series(np.arange(n), index=keys.to_numpy())
    cl = index.reindex(cannot["record_key_l"]).to_numpy()
    cr = index.reindex(cannot["record_key_r"]).to_numpy()
    present = ~(np.isnan(cl.astype(float)) | np.isnan(cr.astype(float)))
    cl, cr = cl[present].astype(int), cr[present].astype(int)
    conflicted = set(labels[cl[labels[cl] == labels[cr]]].tolist())
    if not conflicted:
        return labels
    labels = labels.copy()
    next_label = labels.max() + 1
    same = np.zeros(len(edges), dtype=bool)
    if old is not None:
        person = old.to_numpy(dtype=float, na_value=np.nan)
        same = person[left] == person[right]  # NaN (a new record) equals nothing
    order = np.lexsort((~same, strength(edges).to_numpy()))  # stable: full ties keep the edges' order
    # each conflicted component's records and edges (in `order`), grouped once: walking every edge and record
    # of the batch for each component made a full run with 1,000 cannot-links spend 142 s here instead of 3 s
    comps = np.fromiter(conflicted, dtype=labels.dtype)
    inside = order[np.isin(labels[left[order]], comps)]
    inside = inside[np.argsort(labels[left[inside]], kind="stable")]
    edge_comp = labels[left[inside]]
    held = np.flatnonzero(np.isin(labels, comps))  # ascending, and stays so within each component below
    held = held[np.argsort(labels[held], kind="stable")]
    held_comp = labels[held]
    pair_comp = np.where(labels[cl] == labels[cr], labels[cl], -1)  # a pair across components constrains nothing
    pairs = np.argsort(pair_comp, kind="stable")
    pair_comp = pair_comp[pairs]
    for comp in conflicted:
        members = held[np.searchsorted(held_comp, comp):np.searchsorted(held_comp, comp, side="right")]
        parent = {int(m): int(m) for m in members}

        def find(x: int) -> int:
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        # each root keeps the set of records it must never join
        banned: dict[int, set[int]] = {int(m): set() for m in members}
        for p in pairs[np.searchsorted(pair_comp, comp):np.searchsorted(pair_comp, comp, side="right")]:
            a, b = int(cl[p]), int(cr[p])
            banned[a].add(b)
            banned[b].add(a)
        member_set = set(parent)
        for e in inside[np.searchsorted(edge_comp, comp):np.searchsorted(edge_comp, comp, side="right")]:
            a, b = int(left[e]), int(right[e])
            ra, rb = find(a), find(b)
            if ra == rb:
                continue
            members_a = {m for m in member_set if find(m) == ra}
            if any(find(x) == rb for m in members_a for x in banned[m]):
                continue
            parent[rb] = ra
        roots = {m: find(m) for m in member_set}
        for root in set(roots.values()):
            labels[[m for m, r in roots.items() if r == root]] = next_label
            next_label += 1
    return labels


def assign_ids(records: pd.DataFrame, new_ids) -> tuple[pd.Series, pd.DataFrame]:
    """Reads (record_key, cluster, old_person_id, linked_at, is_revived) -> (person_id per record, history rows).

    Each old id goes home to the cluster holding the record that has held it longest (linked_at:
    when the record joined that person; a record that moved in since counts from the move, so it
    cannot take the id along when it moves back); a cluster keeps the oldest
    (smallest) id among those coming home and records the others as merged into it, but a live id
    goes before one coming back with a deleted record staged again (`is_revived`: that id held no
    records, a live one does and stays); a cluster with none draws a new id from `new_ids(k)`.
    Records of an old id found in other clusters are recorded as split off.
    """
    # in numpy: pandas' sorts and maps of the nullable ids cost a run of 21,307 records 0.04 s, most of it
    # each call's first-use overhead
    cluster = records["cluster"].to_numpy()
    old_id = records["old_person_id"].to_numpy(dtype=float, na_value=np.nan)
    linked = records["linked_at"].to_numpy(dtype="datetime64[ns]").view("int64")
    linked = np.where(linked == np.iinfo("int64").min, np.iinfo("int64").max, linked)  # no date: last
    rows = np.flatnonzero(~np.isnan(old_id))
    rows = rows[np.argsort(records["record_key"].to_numpy()[rows], kind="stable")]
    rows = rows[np.lexsort((linked[rows], old_id[rows]))]  # stable: record key breaks full ties
    firsts = np.r_[True, old_id[rows][1:] != old_id[rows][:-1]] if len(rows) else np.zeros(0, dtype=bool)
    home_id, home = old_id[rows][firsts], cluster[rows][firsts]  # each old id's home cluster, ids ascending
    revived = np.isin(home_id, old_id[rows][records["is_revived"].to_numpy()[rows]])
    by_cluster = np.lexsort((home_id, revived, home))  # per cluster: live ids first, then the oldest
    leads = by_cluster[np.r_[True, home[by_cluster][1:] != home[by_cluster][:-1]]] if len(by_cluster) else by_cluster
    fresh = np.setdiff1d(cluster, home[leads])  # ascending, as new ids are drawn
    ids = pd.Series(np.concatenate([home_id[leads], new_ids(len(fresh))]).astype("int64"),
                    index=np.concatenate([home[leads], fresh]))
    person_id = pd.Series(ids.reindex(cluster).to_numpy(), index=records.index)

    history = []
    into = ids.reindex(home).to_numpy()
    merged = home_id != into
    # a merge carries the records that went home with the id; the others are counted as split off
    at_home = cluster[rows] == np.repeat(home, np.diff(np.r_[np.flatnonzero(firsts), len(rows)]))
    home_count = (np.add.reduceat(at_home.astype("int64"), np.flatnonzero(firsts)) if len(rows)
                  else np.zeros(0, dtype="int64"))
    history.append(pd.DataFrame({"person_id": home_id[merged].astype("int64"), "into_person_id": into[merged],
                                 "kind": "merge", "record_count": home_count[merged]}))
    away = rows[~at_home]
    if len(away):
        split = pd.DataFrame({"old_person_id": old_id[away], "cluster": cluster[away]}).groupby(
            ["old_person_id", "cluster"]).size().rename("record_count").reset_index()
        history.append(pd.DataFrame({"person_id": split["old_person_id"].astype("int64"),
                                     "into_person_id": split["cluster"].map(ids).astype("int64"),
                                     "kind": "split", "record_count": split["record_count"]}))
    return person_id, pd.concat(history, ignore_index=True)
