"""The training lab's data sets: scikit-learn's definitions, seeding, independence, shapes."""

import numpy as np
import pytest
from sklearn.datasets import make_circles, make_moons

from optviz.training.data import (
    DATASETS,
    GAUSSIAN_CENTRE,
    SAMPLE_BUCKETS,
    SPIRAL_TURNS,
    grid_bounds,
    make_data,
    resolve_dataset,
    sample_bucket,
    shift_images,
    jitter_points,
    AUGMENT_JITTER,
    digits_pool,
)

POINT_SETS = [k for k, d in DATASETS.items() if d.two_d]


def _sorted_rows(x, y):
    """Rows of (x, y) in lexicographic order: compares point sets regardless of order."""
    table = np.column_stack([np.round(x, 5), y])
    return table[np.lexsort(table.T[::-1])]


@pytest.mark.parametrize("n", [1, 2, 7, 100, 201])
@pytest.mark.parametrize(
    "name, reference",
    [
        ("moons", lambda n: make_moons(n, noise=None, shuffle=False)),
        ("circles", lambda n: make_circles(n, noise=None, shuffle=False, factor=0.5)),
    ],
)
def test_noise_free_sets_equal_scikit_learn(name, reference, n):
    x_ref, y_ref = reference(n)
    x_train, y_train, x_val, y_val = make_data(name, n, seed=3, values={"noise": 0.0})
    assert x_train.shape == (n, 2) and y_train.shape == (n,)
    np.testing.assert_allclose(_sorted_rows(x_train, y_train), _sorted_rows(x_ref, y_ref), atol=2e-5)
    # Without noise both draws are the definition itself.
    np.testing.assert_allclose(_sorted_rows(x_val, y_val), _sorted_rows(x_ref, y_ref), atol=2e-5)


@pytest.mark.parametrize("name", list(DATASETS))
def test_seeded_reproducible_and_seed_dependent(name):
    first = make_data(name, 150, seed=11)
    again = make_data(name, 150, seed=11)
    other = make_data(name, 150, seed=12)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert not np.allclose(first[0], other[0])


@pytest.mark.parametrize("name", POINT_SETS)
def test_train_and_validation_are_independent_draws(name):
    x_train, y_train, x_val, y_val = make_data(name, 400, seed=5)
    assert x_train.shape == x_val.shape == (400, 2)
    assert y_train.dtype.kind == "i" and set(np.unique(y_train)) <= {0, 1}
    assert not np.allclose(x_train, x_val)
    if name in ("moons", "circles", "spiral", "gaussians"):
        # Same noise-free positions row by row: the difference is the two noise draws, uncorrelated.
        noise_train = x_train - make_data(name, 400, seed=5, values={"noise": 0.0})[0]
        noise_val = x_val - make_data(name, 400, seed=5, values={"noise": 0.0})[2]
        correlation = np.corrcoef(noise_train.ravel(), noise_val.ravel())[0, 1]
        assert abs(correlation) < 0.1


@pytest.mark.parametrize("name", ["moons", "circles", "spiral", "gaussians"])
def test_noise_is_the_std_of_the_added_gaussian(name):
    noisy = make_data(name, 2000, seed=1, values={"noise": 0.3})[0]
    clean = make_data(name, 2000, seed=1, values={"noise": 0.0})[0]
    offsets = noisy - clean
    assert abs(offsets.std() - 0.3) < 0.02
    assert np.all(np.abs(offsets.mean(axis=0)) < 0.03)


def test_classes_are_balanced_blocks():
    for name in POINT_SETS:
        _, y, _, _ = make_data(name, 201, seed=2)
        if name == "xor":  # quadrant labels of uniform points: balanced on average only
            assert 0.35 < y.mean() < 0.65
        else:
            assert y.sum() == 201 - 201 // 2


def test_spiral_arms_interleave_and_stay_in_the_unit_disk():
    x, y, _, _ = make_data("spiral", 200, seed=0, values={"noise": 0.0})
    radius = np.hypot(x[:, 0], x[:, 1])
    assert radius.max() <= 1 + 1e-6 and radius.max() > 0.99
    arm0, arm1 = x[y == 0], x[y == 1]
    np.testing.assert_allclose(arm1, -arm0, atol=1e-5)  # the second arm is the first turned by pi
    # Each arm turns SPIRAL_TURNS times: the angle increases by 2 pi SPIRAL_TURNS along it.
    angles = np.unwrap(np.arctan2(arm0[1:, 1], arm0[1:, 0]))
    assert abs((angles[-1] - angles[0]) / (2 * np.pi) - SPIRAL_TURNS) < 0.02


def test_xor_labels_are_the_quadrants():
    x, y, _, _ = make_data("xor", 500, seed=4, values={"noise": 0.0})
    assert np.all(np.abs(x) <= 1)
    np.testing.assert_array_equal(y, (x[:, 0] * x[:, 1] < 0).astype(int))


def test_gaussians_centres():
    x, y, _, _ = make_data("gaussians", 2000, seed=4, values={"noise": 0.2})
    np.testing.assert_allclose(x[y == 0].mean(axis=0), [-GAUSSIAN_CENTRE] * 2, atol=0.03)
    np.testing.assert_allclose(x[y == 1].mean(axis=0), [GAUSSIAN_CENTRE] * 2, atol=0.03)


def test_sample_counts_within_a_bucket_are_exact():
    for n in (8, 9, 100, 128, 129, 2048):
        x, y, x_val, _ = make_data("moons", n, seed=0)
        assert len(x) == len(y) == len(x_val) == n
        assert sample_bucket(n) >= n and sample_bucket(n) in SAMPLE_BUCKETS
    with pytest.raises(ValueError, match="out of range"):
        sample_bucket(SAMPLE_BUCKETS[-1] + 1)


def test_grid_bounds_frame_the_data():
    for name in POINT_SETS:
        noise = DATASETS[name].params[0].default
        x, _, x_val, _ = make_data(name, 500, seed=0)
        (x0, x1), (y0, y1) = grid_bounds(name, noise)
        points = np.concatenate([x, x_val])
        inside = (points[:, 0] >= x0) & (points[:, 0] <= x1) & (points[:, 1] >= y0) & (points[:, 1] <= y1)
        assert inside.mean() > 0.98
        assert grid_bounds(name, noise) == grid_bounds(name, noise)  # no seed: the view stays framed


def test_registry_entries_and_unknown_names():
    for key in POINT_SETS:
        dataset = DATASETS[key]
        assert dataset.key == key and dataset.num_classes == 2 and dataset.input_dim == 2 and dataset.two_d
        assert [p.name for p in dataset.params] == ["noise"] and dataset.augment is jitter_points
    digits = DATASETS["digits"]
    assert (digits.num_classes, digits.input_dim, digits.two_d, digits.image_shape) == (10, 64, False, (8, 8))
    assert digits.max_samples == 898 and digits.augment is shift_images
    with pytest.raises(ValueError, match="moons"):
        resolve_dataset("mnist")


# -- the 8x8 digits ----------------------------------------------------------------------------

def test_digits_are_scikit_learns_images_split_without_overlap():
    from sklearn.datasets import load_digits

    reference = load_digits()
    images, labels = digits_pool()
    np.testing.assert_array_equal(images * 16, reference.data)
    np.testing.assert_array_equal(labels, reference.target)
    x_train, y_train, x_val, y_val = make_data("digits", 898, seed=3)
    assert x_train.shape == x_val.shape == (898, 64) and x_train.min() >= 0 and x_train.max() <= 1
    # Every row is one pool image with its own label, and no image is in both sets: the two
    # sets together are 1796 distinct pool rows.
    index = {row.tobytes(): i for i, row in enumerate(images)}
    rows = [index[r.tobytes()] for r in np.concatenate([x_train, x_val])]
    np.testing.assert_array_equal(labels[rows], np.concatenate([y_train, y_val]))
    assert len(set(rows)) >= 1796 - 20  # the pool repeats a few identical images
    assert set(np.unique(y_train)) == set(range(10))


def test_shift_images_moves_by_one_pixel_with_zeros_shifted_in():
    rng = np.random.default_rng(0)
    images = rng.random((9, 64)).astype(np.float32)
    # u in thirds: 0 -> offset 0 (content moves down/right by 1), 1 -> 0 shift, 2 -> up/left.
    grid = np.array([[a, b] for a in (0.1, 0.5, 0.9) for b in (0.1, 0.5, 0.9)], np.float32)
    moved = np.asarray(shift_images(images, grid)).reshape(9, 8, 8)
    original = images.reshape(9, 8, 8)
    for k, (dy, dx) in enumerate([(a, b) for a in (1, 0, -1) for b in (1, 0, -1)]):
        padded = np.pad(original[k], 1)
        expected = padded[1 - dy:9 - dy, 1 - dx:9 - dx]
        np.testing.assert_array_equal(moved[k], expected)
    np.testing.assert_array_equal(moved[4], original[4])  # (0, 0): unchanged


def test_jitter_points_adds_gaussian_noise_of_the_set_std():
    rng = np.random.default_rng(1)
    points = np.zeros((20000, 2), np.float32)
    moved = np.asarray(jitter_points(points, rng.random((20000, 2)).astype(np.float32)))
    assert abs(moved.std() - AUGMENT_JITTER) < 0.003 and np.all(np.abs(moved.mean(axis=0)) < 0.003)
    assert abs(np.corrcoef(moved[:, 0], moved[:, 1])[0, 1]) < 0.03
