"""The XOR tutorials' 2-2-1 sigmoid network with randn·0.01 weights, in plain Python.

Full-batch gradient descent on binary cross-entropy, learning rate 0.5, 5000 steps, seeds 0-4.
Run: python3 docs/tutorial/tutorial_xor_2_2_1.py
Printed on the project's machine: every seed ends at loss 0.6931 (ln 2) with all outputs 0.5.
"""
import math
import random

X = [(0, 0), (0, 1), (1, 0), (1, 1)]
T = [0, 1, 1, 0]


def sig(z):
    return 1 / (1 + math.exp(-z))


def train(seed, lr=0.5, steps=5000):
    r = random.Random(seed)
    g = lambda: r.gauss(0, 1) * 0.01
    w1 = [[g(), g()], [g(), g()]]
    b1 = [0.0, 0.0]
    w2 = [g(), g()]
    b2 = 0.0
    for _ in range(steps):
        gw1 = [[0.0, 0.0], [0.0, 0.0]]
        gb1 = [0.0, 0.0]
        gw2 = [0.0, 0.0]
        gb2 = 0.0
        loss = 0.0
        for (x0, x1), t in zip(X, T):
            h = [sig(x0 * w1[0][j] + x1 * w1[1][j] + b1[j]) for j in range(2)]
            p = sig(h[0] * w2[0] + h[1] * w2[1] + b2)
            loss += -(t * math.log(p) + (1 - t) * math.log(1 - p)) / 4
            d = (p - t) / 4
            for j in range(2):
                gw2[j] += d * h[j]
                dh = d * w2[j] * h[j] * (1 - h[j])
                gw1[0][j] += dh * x0
                gw1[1][j] += dh * x1
                gb1[j] += dh
            gb2 += d
        for j in range(2):
            w2[j] -= lr * gw2[j]
            b1[j] -= lr * gb1[j]
            w1[0][j] -= lr * gw1[0][j]
            w1[1][j] -= lr * gw1[1][j]
        b2 -= lr * gb2
    outputs = [sig(sum(sig(x0 * w1[0][j] + x1 * w1[1][j] + b1[j]) * w2[j] for j in range(2)) + b2) for x0, x1 in X]
    return loss, outputs


for seed in range(5):
    loss, outputs = train(seed)
    print(f"seed {seed}: loss {loss:.4f}, outputs {[round(o, 3) for o in outputs]}")
print(f"ln 2 = {math.log(2):.4f}")
