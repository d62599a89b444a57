"""Reading a Parquet file chunk by chunk: exact chunk sizes across row groups, bounded memory."""

from __future__ import annotations

import random
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from evalkit.data.chunks import iter_record_chunks


def _write(path: Path, group_sizes: list[int], text_size: int = 20) -> list[str]:
    rnd = random.Random(len(group_sizes))
    texts: list[str] = []
    with pq.ParquetWriter(path, pa.schema([("outputs", pa.string())])) as writer:
        for size in group_sizes:
            group = [
                f"{len(texts) + i:08d}" + rnd.randbytes(text_size // 2).hex() for i in range(size)
            ]
            texts += group
            writer.write_table(pa.table({"outputs": group}))
    return texts


@pytest.mark.parametrize(
    ("groups", "chunk_size"),
    [([7, 3, 10, 1, 9], 4), ([5, 5, 5], 5), ([12], 5), ([2, 2, 2, 2], 16), ([3], 1)],
)
def test_chunks_have_exactly_chunk_size_rows_across_row_groups(
    tmp_path: Path, groups: list[int], chunk_size: int
) -> None:
    texts = _write(tmp_path / "data.parquet", groups)
    chunks = list(iter_record_chunks(tmp_path / "data.parquet", chunk_size))
    assert [len(c) for c in chunks[:-1]] == [chunk_size] * (len(chunks) - 1)
    assert 1 <= len(chunks[-1]) <= chunk_size
    assert [r["outputs"] for c in chunks for r in c] == texts


def test_arrow_memory_stays_bounded_over_many_row_groups(tmp_path: Path) -> None:
    # one iter_batches reader over the whole file kept what it decoded until the end: a
    # 10M-row run grew by ~200 bytes a row and peaked at 3.1 GB (benchmarks/scale.py)
    _write(tmp_path / "big.parquet", [2_000] * 60, text_size=1_000)  # ~120 MB of text
    most = 0
    for _chunk in iter_record_chunks(tmp_path / "big.parquet", 1_000):
        most = max(most, pa.total_allocated_bytes())
    assert most < 30_000_000, f"Arrow held {most / 1e6:.0f} MB while reading 1,000-row chunks"
