"""The usual Python way to change a SafeTensors file's dtype with torch:
load_file, .to(torch.float16), save_file.  usage: IN OUT THREADS"""
import sys

import torch
from safetensors.torch import load_file, save_file

torch.set_num_threads(int(sys.argv[3]))
tensors = load_file(sys.argv[1])
save_file({k: v.to(torch.float16) for k, v in tensors.items()}, sys.argv[2],
          metadata={"format": "pt"})
