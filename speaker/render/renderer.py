"""Warp a portrait to one frame of a track.

The portrait's mesh (see :mod:`speaker.render.mesh`) is built once. Each
frame moves its vertices (expression, then a 3D head pose with a generic
depth), draws the moved triangles far-to-near into a triangle-index image
over the region of interest, and turns that into a backward map: each output
pixel takes the affine map of its triangle back to the photo. Inside the eye openings the map is bent
so the irises follow the track's gaze (:func:`speaker.render.eyes.shift_iris`).
One ``cv2.remap`` then draws the region; the lids and the mouth's inside are
painted on top. Pixels outside the region are copied from the photo.
"""

from __future__ import annotations

from collections.abc import Iterator

import cv2
import numpy as np

from ..types import ARTICULATION_NAMES, Portrait, Track, TrackFrame
from . import eyes, grain, mouth, tone
from .mesh import (
    COLLAR_FOLLOW,
    HALO_FOLLOW,
    HEAD_CENTRE_Z,
    INNER_LIP_PAIRS,
    NECK_CHIN_FOLLOW,
    NECK_FOLLOW,
    FaceMesh,
    build_mesh,
    hidden_far_eye,
    hidden_jaw_weights,
    pose_points,
)

#: Fraction of the ROI's shorter side over which the warp fades to zero at
#: its border (on top of the mesh's fixed ring), and its minimum in pixels.
BORDER_FADE = 0.08
BORDER_FADE_MIN = 4.0
#: Other faces are frozen inside their box grown by this fraction, fading
#: back to the full warp over this fraction of the box width.
OTHER_FACE_GROW = 0.15
OTHER_FACE_FADE = 0.35
#: Sub-pixel bits for rasterising triangles.
RASTER_SHIFT = 4
#: Determinant below which a moved triangle counts as collapsed (pixels^2).
COLLAPSED_AREA = 1e-6
#: The mesh warp is computed on every MAP_STEP-th pixel and interpolated between.
MAP_STEP = 2
#: A moved triangle squeezed so thin that its backward map stretches more than
#: this (Frobenius norm of its linear part) is a closing lip seam: its pixels
#: take its source centroid. The rasteriser also marks pixels just outside such
#: a sliver, where its affine map extrapolates far away (white specks from the
#: beard below, on Mark Twain's pressed lips).
MAX_MAP_STRETCH = 6.0

#: How the photo is sampled at the warp's sub-pixel positions. Bilinear blurs:
#: half a pixel off it averages two pixels, and a moving head is off by a
#: fraction nearly everywhere, so the face went soft beside a sharp background.
WARP_INTERPOLATION = cv2.INTER_CUBIC

#: Debug overlay colours (RGB), and the grey levels used on a greyscale photo
#: (which must stay free of colour).
OVERLAY_COLOURS = {"mesh": (60, 200, 90), "landmarks": (255, 60, 40), "roi": (80, 120, 255)}
OVERLAY_GREYS = {"mesh": (150, 150, 150), "landmarks": (255, 255, 255), "roi": (40, 40, 40)}

_JAW = ARTICULATION_NAMES.index("jaw_open")
_TUCK = ARTICULATION_NAMES.index("lower_lip_tuck")


def _smoothstep(t: np.ndarray) -> np.ndarray:
    t = np.clip(t, 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


class Renderer:
    """Draws frames of a talking portrait.

    Parameters
    ----------
    portrait : Portrait
        The photo and its neutral landmarks.
    debug_overlay : bool
        Draw the posed target landmarks and the mesh edges on every frame
        (in grey levels on a greyscale photo).

    Examples
    --------
    >>> renderer = Renderer(portrait)
    >>> rgb = renderer.render(track.frame(0))   # (H, W, 3) uint8
    """

    def __init__(self, portrait: Portrait, debug_overlay: bool = False):
        image = np.ascontiguousarray(portrait.image)
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ValueError(f"portrait.image must be (H, W, 3) uint8, got {image.shape} {image.dtype}")
        landmarks = np.asarray(portrait.landmarks, np.float64)
        if landmarks.shape != (68, 2) or not np.all(np.isfinite(landmarks)):
            raise ValueError("portrait.landmarks must be 68 finite (x, y) points")
        self.portrait = portrait
        self.image = image
        self.debug_overlay = debug_overlay
        self.grayscale = bool(portrait.grayscale)
        self.neutral = landmarks
        self.mesh: FaceMesh = build_mesh(portrait)
        fw = self.mesh.frame.width

        x0, y0, x1, y1 = self.mesh.roi
        self.roi = (x0, y0, x1, y1)
        # A toned print (sepia) keeps one colour per grey level where lids and mouth are painted; read
        # about the face, so that a scan's coloured mount or label does not hide the print's tone.
        self.photo_tone = None if self.grayscale else tone.photo_tone(image[y0:y1, x0:x1])
        h, w = y1 - y0, x1 - x0
        self.grid_x, self.grid_y = np.meshgrid(
            np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32)
        )
        self.fade = self._fade_mask(portrait)
        # The warp is piecewise affine and continuous, so its displacement is computed on a grid of
        # every MAP_STEP-th pixel (at their centres) and interpolated: a quarter of the work per frame.
        coarse_w, coarse_h = -(-w // MAP_STEP), -(-h // MAP_STEP)
        centres_x = (np.arange(coarse_w, dtype=np.float32) + 0.5) * MAP_STEP - 0.5
        centres_y = (np.arange(coarse_h, dtype=np.float32) + 0.5) * MAP_STEP - 0.5
        self.coarse_x, self.coarse_y = np.meshgrid(centres_x, centres_y)
        self.base_x, self.base_y = self.grid_x + np.float32(x0), self.grid_y + np.float32(y0)
        self.index_image = np.empty((coarse_h, coarse_w), np.int32)

        groups = self.mesh.group
        self.rigid = np.flatnonzero(np.isin(groups, (0, 1, 2)))
        # Triangles between lip landmarks only (the mesh's first 68 points are the landmarks).
        self.lip_triangles = np.all((self.mesh.triangles >= 48) & (self.mesh.triangles < 68), axis=1)
        self.neck = self.mesh.indices("neck")
        self.collar = self.mesh.indices("collar")
        self.halo = self.mesh.indices("halo")
        self.beard = self.mesh.indices("beard")
        self.edges = self._edges()

        self.palette = mouth.sample_palette(image, landmarks, fw)
        self.mouth_softness = mouth.photo_softness(portrait.upscale)
        self.grain = grain.grain_field((h, w), grain.skin_grain(image, landmarks, portrait.upscale), portrait.upscale)
        self.real_teeth = mouth.photo_teeth(image, landmarks, fw)
        self.side_teeth = mouth.side_teeth(image, landmarks, fw) if self.real_teeth is not None else None
        self.photo_gap = self._inner_gap(landmarks)
        self.seam_half = mouth.seam_half_height(image, landmarks, fw)
        self.photo_lid_open = [self._lid_opening(landmarks, e) for e in eyes.EYES]
        self.eye_visible = [eyes.looks_like_an_eye(image, landmarks, e) for e in eyes.EYES]
        far_eye = hidden_far_eye(portrait.pose)
        if far_eye is not None:
            self.eye_visible[far_eye] = False
        self.lid_tones = [eyes.lid_tone(image, landmarks, e) for e in eyes.EYES]
        self.lash_darkness = [eyes.photo_lash_darkness(image, landmarks, e) for e in eyes.EYES]
        self.lash_colours = [eyes.photo_lash_colour(image, landmarks, e) for e in eyes.EYES]
        self.lid_lumas = [eyes.photo_lid_luma(image, landmarks, e) for e in eyes.EYES]
        warps = [eyes.gaze_warp(image, landmarks, e) for e in eyes.EYES]
        # Both eyes or neither: one eye looking around alone would be a squint.
        self.gaze_warps = warps if all(w is not None for w in warps) else []
        self.gaze_limits = eyes.gaze_limits(self.gaze_warps) if self.gaze_warps else np.zeros((2, 2))
        self.mouth_width = float(np.linalg.norm(landmarks[54] - landmarks[48]))
        self.hidden_jaw, self.hidden_jaw_weights = hidden_jaw_weights(landmarks, portrait.pose)

    # -- precomputation -------------------------------------------------

    def _fade_mask(self, portrait: Portrait) -> np.ndarray:
        """Weight (h, w) of the warp over the ROI: 0 at its border and on other faces."""
        x0, y0, x1, y1 = self.roi
        h, w = y1 - y0, x1 - x0
        band = max(BORDER_FADE * min(h, w), BORDER_FADE_MIN)
        dx = np.minimum(self.grid_x, (w - 1) - self.grid_x)
        dy = np.minimum(self.grid_y, (h - 1) - self.grid_y)
        fade = _smoothstep(dx / band) * _smoothstep(dy / band)
        for box in np.asarray(portrait.other_faces, np.float64).reshape(-1, 4):
            bw, bh = box[2] - box[0], box[3] - box[1]
            grow = OTHER_FACE_GROW * max(bw, bh)
            reach = max(OTHER_FACE_FADE * max(bw, bh), 2.0)
            gx = np.maximum(np.maximum(box[0] - grow - (self.grid_x + x0), (self.grid_x + x0) - box[2] - grow), 0)
            gy = np.maximum(np.maximum(box[1] - grow - (self.grid_y + y0), (self.grid_y + y0) - box[3] - grow), 0)
            fade = fade * _smoothstep(np.hypot(gx, gy) / reach)
        return fade.astype(np.float32)

    def _edges(self) -> np.ndarray:
        tri = self.mesh.triangles
        e = np.concatenate([tri[:, [0, 1]], tri[:, [1, 2]], tri[:, [2, 0]]])
        return np.unique(np.sort(e, axis=1), axis=0)

    def _inner_gap(self, landmarks: np.ndarray) -> float:
        down = self.mesh.frame.down
        return float(np.mean([(landmarks[d] - landmarks[u]) @ down for u, d in INNER_LIP_PAIRS]))

    def _lid_opening(self, landmarks: np.ndarray, eye: dict) -> float:
        down = self.mesh.frame.down
        return float(np.mean([(landmarks[lo] - landmarks[up]) @ down
                              for up, lo in zip(eye["upper"], eye["lower"])]))

    # -- per frame ------------------------------------------------------

    def _targets(self, frame: TrackFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
        """Moved mesh vertices (N, 2), their depth (N,), the posed target
        landmarks (68, 2) and the lid closure of both eyes."""
        mesh = self.mesh
        target = np.asarray(frame.landmarks, np.float64)
        pose = np.asarray(frame.head_pose, np.float64)
        if target.shape != (68, 2) or not np.all(np.isfinite(target)):
            raise ValueError("TrackFrame.landmarks must be 68 finite (x, y) points")
        if pose.shape != (6,) or not np.all(np.isfinite(pose)):
            raise ValueError("TrackFrame.head_pose must be 6 finite numbers")
        if len(self.hidden_jaw):
            # A turned face's far jaw hidden behind its chin moves with the lip and chin over it (no fold).
            target = target.copy()
            target[self.hidden_jaw] = self.neutral[self.hidden_jaw] + self.hidden_jaw_weights @ (
                np.asarray(frame.landmarks, np.float64) - self.neutral)

        # The mesh keeps each upper lid where the photo has it (moved with the
        # eye corners); the blink is drawn as a lid over the eye instead.
        closures = []
        mesh_face = target.copy()
        for eye, photo_open in zip(eyes.EYES, self.photo_lid_open):
            target_open = self._lid_opening(target, eye)
            from_landmarks = 1.0 - target_open / photo_open if photo_open > 0.5 else 0.0
            closures.append(float(np.clip(max(float(frame.eyelid), from_landmarks), 0.0, 1.0)))
            shift = (target[list(eye["corners"])] - self.neutral[list(eye["corners"])]).mean(axis=0)
            for i in eye["upper"]:
                mesh_face[i] = self.neutral[i] + shift

        points = mesh.points.copy()
        points[:68] = mesh_face
        moved = points.copy()
        depth = mesh.depth.copy()
        moved[self.rigid], depth[self.rigid] = pose_points(
            points[self.rigid], mesh.depth[self.rigid], pose, mesh, 1.0)
        if len(self.beard):
            hang = mesh.beard_follow[:, None] * (target[mesh.beard_anchor] - self.neutral[mesh.beard_anchor])
            moved[self.beard], depth[self.beard] = pose_points(
                points[self.beard] + hang, mesh.depth[self.beard], pose, mesh, 1.0)
        chin_drop = NECK_CHIN_FOLLOW * (target[8] - self.neutral[8])
        if len(self.neck):
            moved[self.neck], depth[self.neck] = pose_points(
                points[self.neck] + chin_drop, mesh.depth[self.neck], pose, mesh, NECK_FOLLOW)
        if len(self.collar):
            moved[self.collar], depth[self.collar] = pose_points(
                points[self.collar], mesh.depth[self.collar], pose, mesh, COLLAR_FOLLOW)
        if len(self.halo):
            rigid, _ = pose_points(points[self.halo], np.full(len(self.halo), HEAD_CENTRE_Z * mesh.frame.width),
                                   pose, mesh, 1.0)
            moved[self.halo] = points[self.halo] + HALO_FOLLOW * (rigid - points[self.halo])
        posed_target, _ = pose_points(target, mesh.depth[:68], pose, mesh, 1.0)
        # One closure for both eyes: a blink is never a wink, even when the
        # photo's eyes are open by different amounts.
        return moved, depth, posed_target, max(closures)

    def folded_lips(self, landmarks: np.ndarray, source: np.ndarray | None = None) -> np.ndarray:
        """Lip triangles the mouth's motion turns over, shape (M,) bool over ``mesh.triangles``.

        Their corners come in the other order in the target ``landmarks`` (68, 2) than in
        ``source`` (the vertices' photo positions, default ``mesh.points``): the far lip of a
        near-profile dropping past its front. Measured before the head pose, which may rightly
        turn a far lip away (nearer triangles are drawn over it).
        """
        photo = (self.mesh.points if source is None else source)[:68]
        target = np.asarray(landmarks, np.float64)

        def orientation(points: np.ndarray) -> np.ndarray:
            corners = points[self.mesh.triangles[self.lip_triangles]]
            first, second = corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0]
            return first[:, 0] * second[:, 1] - first[:, 1] * second[:, 0]

        folded = np.zeros(len(self.mesh.triangles), bool)
        folded[self.lip_triangles] = orientation(photo) * orientation(target) < 0
        return folded

    def backward_map(self, moved: np.ndarray, depth: np.ndarray, source: np.ndarray | None = None,
                     folded: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Source pixel of every output pixel of the ROI.

        Parameters
        ----------
        moved : np.ndarray, shape (N, 2)
            Moved mesh vertices, pixels.
        depth : np.ndarray, shape (N,)
            Their depth (nearer triangles are drawn last).
        source : np.ndarray, shape (N, 2), optional
            Where each vertex takes the photo from (default: its neutral
            position, ``mesh.points``).
        folded : np.ndarray, shape (M,), bool, optional
            Triangles turned over (:meth:`folded_lips`): each takes one colour,
            its source's middle, instead of showing the photo mirrored (dark
            specks of hair at a near-profile's lower lip).

        Returns
        -------
        map_x, map_y : np.ndarray, shape (h, w), float32
            Absolute source coordinates for ``cv2.remap``.
        """
        mesh = self.mesh
        x0, y0, _, _ = self.roi
        tri = mesh.triangles
        target = moved - np.array([x0, y0])
        t = target[tri]  # (M, 3, 2)
        s = (mesh.points if source is None else source)[tri]  # (M, 3, 2)
        homog = np.concatenate([t, np.ones((len(tri), 3, 1))], axis=2)
        det = np.linalg.det(homog)
        ok = np.abs(det) > COLLAPSED_AREA
        coef = np.zeros((len(tri) + 1, 2, 3))
        coef[:, 0, 0] = coef[:, 1, 1] = 1.0
        coef[:, 0, 2], coef[:, 1, 2] = x0, y0
        if ok.any():
            sol = np.linalg.solve(homog[ok], s[ok])  # (k, 3, 2): rows a, b, c
            coef[:-1][ok] = np.transpose(sol, (0, 2, 1))
            squeezed = np.flatnonzero(ok)[np.linalg.norm(sol[:, :2, :], axis=(1, 2)) > MAX_MAP_STRETCH]
            if folded is not None:
                squeezed = np.union1d(squeezed, np.flatnonzero(folded & ok))
            coef[squeezed, :, :2] = 0.0
            coef[squeezed, :, 2] = s[squeezed].mean(axis=1)

        # Far triangles first so that near ones (the nose on a turned head) win.
        order = np.argsort(depth[tri].mean(axis=1), kind="stable")
        index = self.index_image
        index.fill(len(tri))
        # Vertices in the coarse grid's pixels (its pixel i is centred on ROI pixel MAP_STEP * i + offset).
        coarse = (target - (MAP_STEP - 1) / 2.0) / MAP_STEP
        fixed = np.round(coarse * (1 << RASTER_SHIFT)).astype(np.int32)
        drawn = order[ok[order]]
        # One call per triangle is the loop's whole cost: its corners are gathered beforehand.
        for k, corners in zip(drawn.tolist(), fixed[tri[drawn]]):
            cv2.fillConvexPoly(index, corners, k, cv2.LINE_8, RASTER_SHIFT)

        # Each triangle's map as a displacement (source minus output position): x' - x = (a - 1) x + b y + c - x0.
        coef[:, 0, 0] -= 1.0
        coef[:, 1, 1] -= 1.0
        coef[:, 0, 2] -= x0
        coef[:, 1, 2] -= y0
        table = coef.reshape(-1, 6).astype(np.float32).T  # (6, M+1)
        rows = table.take(index.ravel(), axis=1)  # (6, coarse pixels)
        gx, gy = self.coarse_x.ravel(), self.coarse_y.ravel()
        # Displacements interpolated to every pixel, then faded to zero at the ROI
        # border and on other faces (at full resolution, so the fade stays exact).
        shift_x = rows[0] * gx
        shift_x += rows[1] * gy
        shift_x += rows[2]
        shift_y = rows[3] * gx
        shift_y += rows[4] * gy
        shift_y += rows[5]
        size = self.grid_x.shape[::-1]
        map_x = cv2.resize(shift_x.reshape(index.shape), size, interpolation=cv2.INTER_LINEAR)
        map_y = cv2.resize(shift_y.reshape(index.shape), size, interpolation=cv2.INTER_LINEAR)
        map_x *= self.fade
        map_x += self.base_x
        map_y *= self.fade
        map_y += self.base_y
        return map_x, map_y

    def render(self, frame: TrackFrame) -> np.ndarray:
        """Draw one frame.

        Parameters
        ----------
        frame : TrackFrame
            Target landmarks (68, 2) before head pose, head pose (6,),
            articulation (K,), eyelid closure.

        Returns
        -------
        np.ndarray, shape (H, W, 3), uint8
            The portrait warped to the frame; pixels outside the head's
            region are the photo's own.
        """
        moved, depth, posed, closure = self._targets(frame)
        source = self._source_points(frame)
        map_x, map_y = self.backward_map(moved, depth, source, self.folded_lips(frame.landmarks, source))
        self._apply_gaze(map_x, map_y, moved, frame.gaze)
        x0, y0, x1, y1 = self.roi
        lids = self._lids(moved, posed, closure)
        for lid in lids:
            eyes.apply_lid_to_map(map_x, map_y, lid, (x0, y0))
        out = self.image.copy()
        out[y0:y1, x0:x1] = cv2.remap(self.image, map_x, map_y, WARP_INTERPOLATION,
                                      borderMode=cv2.BORDER_REPLICATE)
        warped = out[y0:y1, x0:x1].copy() if self.photo_tone is not None else None

        for lid in lids:
            eyes.shade_lid(out, lid, self.palette.skin, self.grain, (x0, y0))
        if self.side_teeth is not None:
            cover = mouth.side_teeth_cover(self._inner_gap(np.asarray(frame.landmarks, np.float64)), self.photo_gap)
            mouth.cover_side_teeth(out, map_x, map_y, (x0, y0), self.side_teeth, cover, posed[48:60], posed[60:68])

        articulation = np.asarray(frame.articulation, np.float64).ravel()
        jaw = float(articulation[_JAW]) if articulation.size > _JAW else 0.0
        tuck = float(articulation[_TUCK]) if articulation.size > _TUCK else 0.0
        fw = self.mesh.frame.width
        target_gap = self._inner_gap(np.asarray(frame.landmarks, np.float64))
        strength = mouth.opening_strength(target_gap, self.photo_gap, fw)
        covering = mouth.covering_share(target_gap, self.photo_gap) if self.real_teeth is not None else 0.0
        if strength > 0 or covering > 0:
            scale = float(frame.head_pose[5]) if np.isfinite(frame.head_pose[5]) else 1.0
            mouth.paint_interior(out, posed[60:68], self.mouth_width * scale, strength, jaw, tuck,
                                 self.palette, self.roi, self.real_teeth, self.grain, covering, self.mouth_softness)

        if warped is not None:
            tone.keep_photo_tone(out[y0:y1, x0:x1], warped, self.photo_tone)
        if self.grayscale:
            out[..., 0] = out[..., 1]
            out[..., 2] = out[..., 1]
        if self.debug_overlay:
            self._draw_overlay(out, moved, posed)
        return out

    def _source_points(self, frame: TrackFrame) -> np.ndarray | None:
        """Mesh vertices' source positions: as the lips part, the inner lips take the photo from
        beyond its dark line between the lips (:func:`speaker.render.mouth.seam_half_height`), so
        that line goes into the opening under the painted inside instead of staying as a black
        edge on both lips (on Lincoln it made the upper teeth read as a lower lip). None: neutral."""
        if self.seam_half <= 0.0:
            return None
        strength = mouth.opening_strength(self._inner_gap(np.asarray(frame.landmarks, np.float64)),
                                          self.photo_gap, self.mesh.frame.width)
        if strength <= 0.0:
            return None
        source = self.mesh.points.copy()
        shift = strength * self.seam_half * self.mesh.frame.down
        source[[61, 62, 63]] -= shift
        source[[65, 66, 67]] += shift
        return source

    def _lids(self, moved: np.ndarray, posed: np.ndarray, closure: float) -> list:
        """Both eyes' closing lids (:class:`speaker.render.eyes.LidWarp`), none when open."""
        if closure < eyes.MIN_CLOSURE:
            return []
        lids = []
        for eye, visible, lid_tone, darkness, lash_colour, lid_luma in zip(
                eyes.EYES, self.eye_visible, self.lid_tones, self.lash_darkness, self.lash_colours, self.lid_lumas):
            if not visible:
                continue  # the landmarker's guess on a cheek or forehead: no lid to close
            ca, cb = eye["corners"]
            upper = moved[[ca, *eye["upper"], cb]]
            lid = eyes.lid_warp(upper, posed[list(eye["lower"])], moved[list(eye["brow"])], closure, self.roi,
                                moved[list(eye["outline"])])
            if lid is not None:
                lid.tone = lid_tone
                lid.least_luma = lid_luma
                lid.lash_colour = lash_colour
                lid.lash *= np.float32(darkness / eyes.LASH_DARKNESS)  # no darker than the photo's own lid line
                lids.append(lid)
        return lids

    def _apply_gaze(self, map_x: np.ndarray, map_y: np.ndarray, moved: np.ndarray, gaze) -> None:
        """Bend the backward map inside both eye openings so the irises follow the gaze."""
        gaze = np.asarray(gaze, np.float64).reshape(-1)
        if gaze.shape != (2,) or not np.all(np.isfinite(gaze)):
            raise ValueError("TrackFrame.gaze must be 2 finite numbers")
        if not self.gaze_warps or not gaze.any():
            return
        gaze = eyes.clamp_gaze(gaze, self.gaze_limits)
        x0, y0, x1, y1 = self.roi
        for eye, warp in zip(eyes.EYES, self.gaze_warps):
            # Output pixels that can sample the eye: the moved eye outline
            # plus the warp's margin around it.
            outline = moved[[*eye["corners"], *eye["upper"], *eye["lower"]]]
            pad = 0.25 * warp.width + 3
            ex0 = int(max(np.floor(outline[:, 0].min() - pad), x0)) - x0
            ey0 = int(max(np.floor(outline[:, 1].min() - pad), y0)) - y0
            ex1 = int(min(np.ceil(outline[:, 0].max() + pad), x1)) - x0
            ey1 = int(min(np.ceil(outline[:, 1].max() + pad), y1)) - y0
            if ex1 > ex0 and ey1 > ey0:
                eyes.shift_iris(map_x[ey0:ey1, ex0:ex1], map_y[ey0:ey1, ex0:ex1], warp, gaze)

    def _draw_overlay(self, out: np.ndarray, moved: np.ndarray, posed: np.ndarray) -> None:
        colours = OVERLAY_GREYS if self.grayscale else OVERLAY_COLOURS
        pts = np.round(moved * 16).astype(np.int32)
        for a, b in self.edges:
            cv2.line(out, tuple(pts[a]), tuple(pts[b]), colours["mesh"], 1, cv2.LINE_AA, 4)
        for p in np.round(posed * 16).astype(np.int32):
            cv2.circle(out, tuple(p), 2 * 16, colours["landmarks"], -1, cv2.LINE_AA, 4)
        x0, y0, x1, y1 = self.roi
        cv2.rectangle(out, (x0, y0), (x1 - 1, y1 - 1), colours["roi"], 1)


def render_frames(portrait: Portrait, track: Track, debug_overlay: bool = False) -> Iterator[np.ndarray]:
    """Draw every frame of a track, one at a time.

    Parameters
    ----------
    portrait : Portrait
    track : Track
    debug_overlay : bool
        See :class:`Renderer`.

    Yields
    ------
    np.ndarray, shape (H, W, 3), uint8
    """
    renderer = Renderer(portrait, debug_overlay=debug_overlay)
    for index in range(len(track)):
        yield renderer.render(track.frame(index))
