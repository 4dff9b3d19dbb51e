"""GGUF -> SafeTensors F16 with gguf-py and numpy: GGUFReader, then
gguf.quants.dequantize for every tensor, astype(np.float16), and
safetensors.numpy.save_file (tensor names kept, numpy row-major shapes).
usage: IN OUT"""
import sys

import numpy as np
from gguf import GGUFReader
from gguf.quants import dequantize
from safetensors.numpy import save_file

reader = GGUFReader(sys.argv[1])
out = {}
for t in reader.tensors:
    a = dequantize(t.data, t.tensor_type)
    out[t.name] = a.reshape([int(d) for d in reversed(t.shape)]).astype(np.float16)
save_file(out, sys.argv[2])
