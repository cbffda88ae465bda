# A synthetic ImageNet-style folder: 10 classes x 50 train + 10 val JPEGs of 500x375 (ImageNet's typical
# size), quality 90, smooth colour fields with noise so they compress like photographs rather than flat fills.
import os, random, sys
from PIL import Image, ImageFilter
root = sys.argv[1]
random.seed(0)
for split, n in (("train", 50), ("val", 10)):
    for c in range(10):
        d = os.path.join(root, split, "class%02d" % c)
        os.makedirs(d, exist_ok=True)
        for i in range(n):
            small = Image.frombytes("RGB", (25, 19), bytes(random.randrange(256) for _ in range(25 * 19 * 3)))
            img = small.resize((500, 375), Image.BICUBIC)
            noise = Image.effect_noise((500, 375), 24).convert("RGB")
            img = Image.blend(img, noise, 0.25)
            img.save(os.path.join(d, "img%03d.jpg" % i), quality=90)
