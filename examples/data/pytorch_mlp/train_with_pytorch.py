"""Trains the tutorial's 784-32-10 MLP on MNIST with PyTorch and saves its state_dict with
safetensors, for examples/from_pytorch.rs. Run once by hand (CI never installs PyTorch):

    python3 train_with_pytorch.py /path/to/mnist     # writes mnist_mlp.safetensors, reference.json

reference.json holds PyTorch's test accuracy and its softmax outputs for the first 8 test images,
which the example and nnfacade's tests compare against.
"""
import gzip
import json
import os
import sys

import numpy as np
import torch
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))


def idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def main():
    mnist = sys.argv[1]
    torch.manual_seed(0)
    torch.set_num_threads(2)
    x_train = torch.tensor(idx(os.path.join(mnist, "train-images-idx3-ubyte.gz")).reshape(-1, 784) / 255.0, dtype=torch.float32)
    y_train = torch.tensor(idx(os.path.join(mnist, "train-labels-idx1-ubyte.gz")), dtype=torch.int64)
    x_test = torch.tensor(idx(os.path.join(mnist, "t10k-images-idx3-ubyte.gz")).reshape(-1, 784) / 255.0, dtype=torch.float32)
    y_test = torch.tensor(idx(os.path.join(mnist, "t10k-labels-idx1-ubyte.gz")), dtype=torch.int64)

    model = torch.nn.Sequential(torch.nn.Linear(784, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for epoch in range(5):
        order = torch.randperm(len(x_train))
        for start in range(0, len(x_train), 128):
            batch = order[start:start + 128]
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(x_train[batch]), y_train[batch])
            loss.backward()
            optimizer.step()
    model.eval()
    with torch.no_grad():
        probabilities = torch.softmax(model(x_test), dim=1)
    accuracy = (probabilities.argmax(dim=1) == y_test).float().mean().item()
    save_file(model.state_dict(), os.path.join(HERE, "mnist_mlp.safetensors"))
    reference = {
        "torch_version": torch.__version__,
        "test_accuracy": accuracy,
        "first_8_probabilities": probabilities[:8].tolist(),
    }
    with open(os.path.join(HERE, "reference.json"), "w") as f:
        json.dump(reference, f, indent=1)
        f.write("\n")
    print(json.dumps({"test_accuracy": accuracy}))


if __name__ == "__main__":
    main()
