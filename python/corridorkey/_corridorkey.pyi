from typing import List, Optional, Tuple

import numpy as np

__version__: str

class Engine:
    def __init__(self, checkpoint: str, img_size: int, backend: str, threads: int, use_refiner: bool,
                 precision: str) -> None: ...
    def process(self, plate: np.ndarray, hint: np.ndarray, refiner_scale: float, input_is_linear: bool,
                despill_strength: float, auto_despeckle: bool, despeckle_size: int,
                generate_comp: bool) -> Tuple[np.ndarray, np.ndarray, np.ndarray, Optional[np.ndarray], List[str]]: ...
    @property
    def img_size(self) -> int: ...

def read_image(path: str) -> np.ndarray: ...
def write_image(path: str, image: np.ndarray, format: str = "uint8") -> None: ...
