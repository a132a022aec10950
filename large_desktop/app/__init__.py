"""The Qt desktop app: widgets, item models and the workers that drive `core`.

Nothing here holds business logic; everything a user can do in the window a
test can do through `large_desktop.core`.
"""
