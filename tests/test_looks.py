"""Looks: the schema names the file and field of a mistake; a concrete look is a pure function of its seed;
classic changes nothing; the held-out looks draw what the randomized look never does."""

import json

import numpy as np
import pytest

from physlab.data.stimuli import write_stimuli
from physlab.errors import PhyslabError
from physlab.scenes.clips import film_scene, make_clip, make_pair
from physlab.scenes.families import load_families, load_family
from physlab.scenes.looks import (
    LOOK_DRAWS,
    Look,
    effective_look,
    load_look,
    look_names,
    sample_look,
    vertical_fov,
)
from physlab.scenes.spec import sample_scene

HELD_OUT = [name for name in look_names() if name.startswith("heldout_")]


def write_look(tmp_path, text):
    path = tmp_path / "mine.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "field", "allowed"),
    [
        ("name: x\nvideo: {codec: webm}\n", "field video.codec", "'raw', 'h264', 'mpeg4' or 'gif'"),
        ("name: x\nroom: {colour: red}\n", "field room.colour", "allowed here: kind, depth, width, floor, walls"),
        ("name: x\nroom: {floor: {texture: {choice: [plain, lava]}}}\n", "field room.floor.texture", "'checkers'"),
        ("name: x\nobjects: {moving: {color: mauve}}\n", "field objects.moving.color", "unknown colour 'mauve'"),
        ("name: x\nobjects: {moving: {color: {hue: [0, 2]}}}\n", "field objects.moving.color", "hue must stay within 0..1"),
        ("name: x\nlayout: {speed: {bands: [[1.2, 0.8]]}}\n", "field layout.speed.bands.0", "low end above its high end"),
        ("name: x\nobjects: {urdfs: [900, 1200]}\n", "field objects.urdfs", "<= 999"),
        ("name: x\nvideo: {codec: gif, fps: 60}\n", "field video: a GIF frame", "fps 60.0 cannot be stored as gif"),
        ("name: x\nclutter: {count: [3, 1]}\n", "field clutter.count", "low <= high"),
    ],
)
def test_schema_errors_name_the_file_and_the_field(tmp_path, text, field, allowed):
    path = write_look(tmp_path, text)
    with pytest.raises(PhyslabError) as error:
        load_look(path)
    message = str(error.value)
    assert message.startswith(f"{path}: {field}"), message
    assert allowed in message, message
    assert "\n" not in message


def test_unknown_look_name_lists_the_bundled_looks():
    with pytest.raises(PhyslabError, match="no look named 'nope'; bundled ones: .*classic, .*randomized"):
        load_look("nope")


def test_bundled_looks_load_and_include_four_held_out_ones():
    for name in look_names():
        assert load_look(name).name == name
    assert len(HELD_OUT) >= 4
    assert effective_look("classic") is None
    assert effective_look("randomized") is not None


def _drawn(look, family, seed, attempt=0):
    scene = sample_scene(family, seed, attempt=attempt, size=64)
    return sample_look(load_look(look), family, scene, seed, attempt)


def test_a_concrete_look_is_a_pure_function_of_its_seed():
    family = load_family("freeplay")
    assert _drawn("randomized", family, 3) == _drawn("randomized", family, 3)
    assert _drawn("randomized", family, 3) != _drawn("randomized", family, 4)
    assert _drawn("randomized", family, 3) != _drawn("randomized", family, 3, attempt=1)


def test_families_at_the_same_seed_are_filmed_in_different_looks():
    # A stimulus set uses the same seeds for every family: with shared draws, its 16 families would hold only as
    # many rooms and cameras as it has pairs a family.
    rooms = {_room(_drawn("randomized", load_family(name), 3)) for name in ("freeplay", "collision", "pillar")}
    assert len(rooms) == 3


def _room(drawn):
    return drawn.room, drawn.depth, drawn.width, drawn.floor


def test_a_folder_of_older_look_draws_is_not_resumed(tmp_path):
    family = load_family("gravity_drop")
    write_stimuli(tmp_path / "set", [family], 1, size=32, look="randomized", progress=False)
    record = tmp_path / "set" / "stimuli.json"
    settings = json.loads(record.read_text())
    assert settings["look_draws"] == LOOK_DRAWS
    record.write_text(json.dumps({key: value for key, value in settings.items() if key != "look_draws"}))
    with pytest.raises(PhyslabError, match=r"look_draws was not recorded \(an older physlab\), now 2\); use a new folder"):
        write_stimuli(tmp_path / "set", [family], 2, size=32, look="randomized", progress=False)


def test_a_look_never_changes_the_family_draws():
    family = load_family("support_car")
    plain = sample_scene(family, 8, size=64)
    scene, drawn = film_scene(family, 8, 0, 64, None, "randomized")
    # The look's own stream: the car and the platform are the scene's, scaled by the look's layout.
    assert scene.object("car").size == plain.object("car").size
    assert scene.object("car").velocity == pytest.approx(tuple(v * drawn.speed for v in plain.object("car").velocity))
    assert scene.frames == round(plain.frames * scene.fps / plain.fps)


def test_same_seed_same_pixels_and_another_seed_another_look(client):
    family = load_family("gravity_drop")
    first = make_clip(family, 5, size=32, client=client, look="randomized")
    again = make_clip(family, 5, size=32, look="randomized")  # a fresh client, as another worker would have
    assert first.frames.tobytes() == again.frames.tobytes() and first.masks.tobytes() == again.masks.tobytes()
    other = make_clip(family, 6, size=32, client=client, look="randomized")
    assert other.look != first.look


@pytest.mark.parametrize("name", ["gravity_drop", "collision"])
def test_classic_is_the_clip_without_a_look(client, name):
    family = load_family(name)
    plain, classic = make_pair(family, 2, size=32, client=client), make_pair(family, 2, size=32, client=client, look="classic")
    for label in ("possible", "impossible"):
        a, b = getattr(plain, label), getattr(classic, label)
        assert a.frames.tobytes() == b.frames.tobytes() and a.masks.tobytes() == b.masks.tobytes()
        assert a.metadata() == b.metadata()


def test_a_look_films_at_its_size_aspect_and_rate(client):
    family = load_family("gravity_drop")
    pair = make_pair(family, 1, size=64, client=client, look="heldout_gif_corner")
    clip = pair.impossible
    assert clip.frames.shape == (50, 120, 180, 3)  # 2 s at 25 fps, 3:2
    assert clip.masks.shape == (50, 120, 180)
    assert clip.fps == 25.0
    meta = clip.metadata()
    assert meta["width"] == 180 and meta["look"]["name"] == "heldout_gif_corner" and meta["fps"] == 25.0
    onset = pair.onset_frame
    assert np.array_equal(pair.possible.frames[:onset], pair.impossible.frames[:onset])
    assert not np.array_equal(pair.possible.frames[onset], pair.impossible.frames[onset])


@pytest.mark.slow
@pytest.mark.parametrize("name", HELD_OUT)
def test_every_family_makes_pairs_in_every_held_out_look(client, name):
    # Every style and layout band of the look, in small frames so the test stays quick.
    look = load_look(name)
    small = look.model_copy(update={"video": look.video.model_copy(update={"height": 48})})
    for family in load_families(with_violations=True):
        pair = make_pair(family, 0, client=client, look=small)
        assert pair.impossible.frames.shape[1] == 48
        assert pair.onset_frame < len(pair.impossible.frames)


def test_held_out_looks_draw_what_randomized_never_draws():
    family = load_family("permanence_vanish")
    training = [_drawn("randomized", family, seed) for seed in range(200)]
    kinds = {surface.texture for look in training for surface in (look.floor, look.walls, *look.bodies.values())}
    assert not kinds & {"dots", "bricks", "marble"}
    assert {look.room for look in training} == {"backdrop", "room"}
    assert all(0.85 <= look.speed <= 1.15 and 0.85 <= look.static_width <= 1.15 for look in training)
    assert all(look.light_color is None for look in training)
    for name in HELD_OUT:
        for seed in range(20):
            held = _drawn(name, family, seed)
            assert not 0.85 <= held.speed <= 1.15 and not 0.85 <= held.static_width <= 1.15, name
            assert abs(held.shift[0]) > 0.12, name
            assert held.light_color is not None, name


def test_portrait_keeps_the_fov_across_its_width():
    assert vertical_fov(45.0, 1.5) == 45.0
    assert vertical_fov(45.0, 0.5) == pytest.approx(2 * np.degrees(np.arctan(np.tan(np.radians(22.5)) / 0.5)))


def test_a_look_without_changes_is_no_look():
    assert effective_look(Look(name="mine")) is None
    assert effective_look(Look(name="mine", video={"fps": 30})) is not None


def test_a_look_travels_to_worker_processes():
    import pickle

    from physlab.scenes.looks import load_look

    for name in ("randomized", "heldout_photoroom"):
        look = load_look(name)
        assert pickle.loads(pickle.dumps(look)) == look


def test_a_look_leaves_nothing_behind_in_its_client():
    # The renderer keeps the last light colour, textures stay loaded across resets: a classic clip made
    # after a look in the same client is the classic clip of a fresh client.
    from physlab.scenes.world import connect, disconnect

    family = load_family("support_car")
    fresh = make_pair(family, 4, size=32)
    live = connect()
    try:
        make_pair(family, 1, size=32, client=live, look="heldout_dusk")
        after = make_pair(family, 4, size=32, client=live)
    finally:
        disconnect(live)
    assert fresh.impossible.frames.tobytes() == after.impossible.frames.tobytes()


def test_a_look_on_a_base_changes_only_what_it_gives(tmp_path):
    path = write_look(tmp_path, "base: randomized\nname: mine\ncamera: {pitch: [14, 20]}\n")
    mine, randomized = load_look(path), load_look("randomized")
    assert mine.name == "mine" and mine.camera.pitch != randomized.camera.pitch
    assert mine.camera.fov == randomized.camera.fov  # the fields of a section it does not name are the base's
    assert mine.room == randomized.room and mine.video == randomized.video
    assert mine.digest() != randomized.digest()
    (tmp_path / "on_mine.yaml").write_text("base: mine.yaml\nname: on_mine\nvideo: {fps: 25}\n")
    on_mine = load_look(tmp_path / "on_mine.yaml")  # a base's path is relative to the file that names it
    assert on_mine.camera == mine.camera and on_mine.video.fps != mine.video.fps
    dotted = load_look(write_look(tmp_path, "base: randomized\nname: dotted\nroom: {floor: {texture: dots}}\n"))
    assert dotted.room.floor.texture != randomized.room.floor.texture
    assert dotted.room.floor.color == randomized.room.floor.color  # a surface merges field by field
    assert dotted.room.walls == randomized.room.walls
    hsv = load_look(write_look(tmp_path, "base: randomized\nname: hsv\nobjects: {moving: {color: {hue: [0, 0.1]}}}\n"))
    assert hsv.objects.moving.color != randomized.objects.moving.color  # a colour is one value, replaced whole


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("base: nope\nname: x\n", "field base: no look named 'nope'; bundled ones: "),
        ("base: missing.yaml\nname: x\n", "field base: there is no look file"),
        ("base: mine.yaml\nname: x\n", "field base: mine.yaml is this look or one it is based on (a circle)"),
        ("base: 3\nname: x\n", "field base: a bundled look's name or a look file's path, got 3"),
        ("base: randomized\nname: x\ncamera: {tilt: 3}\n", "field camera.tilt"),
    ],
)
def test_a_bad_base_names_the_file(tmp_path, text, message):
    path = write_look(tmp_path, text)
    with pytest.raises(PhyslabError) as error:
        load_look(path)
    assert str(error.value).startswith(f"{path}: "), str(error.value)
    assert message in str(error.value)


def test_each_factor_look_is_the_randomized_look_but_for_its_one_section():
    randomized = load_look("randomized").model_dump(exclude={"name", "description"})
    factors = [name for name in look_names() if name.startswith("factor_")]
    assert len(factors) >= 5
    for name in factors:
        look = load_look(name).model_dump(exclude={"name", "description"})
        changed = {section for section in randomized if look[section] != randomized[section]}
        if name == "factor_surfaces":  # rooms, textures, palettes, clutter and distractor go together
            assert changed <= {"room", "objects", "clutter", "distractor"} and "room" in changed, name
        else:
            assert changed == {name.removeprefix("factor_").replace("light", "lighting")}, (name, changed)


ABLATED = {
    "ablate_calm": {"clutter", "distractor", "camera"},
    "ablate_plain": {"room", "objects", "video"},
    "ablate_square": {"video"},
    "ablate_shapes": {"objects"},
}


def test_each_ablation_look_is_the_randomized_look_less_its_nuisances():
    randomized = load_look("randomized").model_dump(exclude={"name", "description"})
    for name, sections in [*ABLATED.items(), ("ablate_all", set().union(*ABLATED.values()))]:
        look = load_look(name).model_dump(exclude={"name", "description"})
        assert {section for section in randomized if look[section] != randomized[section]} == sections, name
    drawn = _drawn("ablate_all", load_family("collision"), 3)
    assert drawn.distractor is None and drawn.clutter == ()
    assert drawn.floor.texture is None and drawn.walls.texture is None
    assert all(surface.texture is None for surface in drawn.bodies.values())
    assert (drawn.aspect, drawn.fps, drawn.codec) == (1.0, 12, "raw")
