"""Posts (岗位): a point and a radius inside a grid, the fence of the workers who hold it."""
