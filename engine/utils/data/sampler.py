"""Samplers and the permutation they draw (torch.randperm when the engine has it)."""
from __future__ import annotations

import numpy as np


def randperm(n, generator=None):
    import engine
    fn = getattr(engine, "randperm", None)
    if fn is not None:  # the engine's own (tensorapi), so scripts draw the same sequence
        return fn(n, generator=generator) if generator is not None else fn(n)
    from ..._random import default_generator
    from ..._tensor import Tensor
    g = generator if generator is not None else default_generator
    return Tensor._make(g._rng.permutation(n).astype(np.int64))


class Sampler:
    def __init__(self, data_source=None) -> None:
        pass


class SequentialSampler(Sampler):
    def __init__(self, data_source) -> None:
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        if replacement or num_samples is not None:
            raise NotImplementedError(
                "RandomSampler(replacement=, num_samples=) is not supported by this engine")
        self.data_source = data_source
        self.generator = generator

    def __iter__(self):
        yield from randperm(len(self.data_source), generator=self.generator).tolist()

    def __len__(self) -> int:
        return len(self.data_source)


class BatchSampler(Sampler):
    def __init__(self, sampler, batch_size, drop_last) -> None:
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(
                f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self):
        batch = []
        for idx in self.sampler:
            batch.append(idx)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
