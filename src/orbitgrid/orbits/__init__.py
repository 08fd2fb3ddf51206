"""Orbits: elements, constellation generators, propagation, frames, Sun and shadow, events."""
