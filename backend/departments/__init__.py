"""Departments (职能部门): the units that handle the cases dispatched to them."""
