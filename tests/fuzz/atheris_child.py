"""One coverage-guided atheris (libFuzzer) run of one decoder target, as its own process, because libFuzzer owns
the process: it exits when the run ends or at the first crash, writing the input to its artifact folder.

    python -m tests.fuzz.atheris_child TARGET CRYPTO_DIR CORPUS_DIR [libFuzzer options]

gridledger's modules are instrumented for coverage as they are imported. Mutations alternate between libFuzzer's
own byte mutations and tests/fuzz/mutation.py's protobuf-aware ones (the stand-in for libprotobuf-mutator, which
does not build here). The seeds and saved regressions are written into CORPUS_DIR here, not by the caller: block
seeds chain onto the genesis block this process makes. scripts/fuzz.py starts one of these per target and reads
its final statistics.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["gridledger"]):
    from tests.fuzz.corpus import write_corpus
    from tests.fuzz.mutation import Mutator
    from tests.fuzz.targets import build
    from tests.fuzz.world import World


def main(argv: list[str]) -> None:
    name, crypto, corpus, libfuzzer_args = argv[1], Path(argv[2]), Path(argv[3]), argv[4:]
    target = build(name, World.load(crypto))
    write_corpus(corpus, target.seeds, name)

    def mutate(data: bytes, max_size: int, seed: int) -> bytes:
        if seed % 2:
            return atheris.Mutate(data, max_size)
        return Mutator(random.Random(seed), target.message, target.seeds, max_size).mutate(data)

    atheris.Setup([argv[0], *libfuzzer_args, str(corpus)], target.one_input, custom_mutator=mutate)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
