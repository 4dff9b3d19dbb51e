"""The same with safetensors.numpy: load_file, astype(np.float16), save_file
(numpy has no bfloat16, so F32 inputs only).  usage: IN OUT"""
import sys

import numpy as np
from safetensors.numpy import load_file, save_file

tensors = load_file(sys.argv[1])
save_file({k: v.astype(np.float16) for k, v in tensors.items()}, sys.argv[2],
          metadata={"format": "pt"})
