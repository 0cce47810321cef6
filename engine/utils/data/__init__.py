"""torch.utils.data: Dataset, TensorDataset, Subset, random_split, DataLoader."""
from .dataloader import DataLoader, default_collate  # noqa: F401
from .dataset import Dataset, Subset, TensorDataset, random_split  # noqa: F401
