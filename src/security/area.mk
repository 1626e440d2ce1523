# security: roles and grants over everything the areas before it created
# (deny by default).  Always last: an area that creates objects ranks below 90.
AREAS += 90:security
