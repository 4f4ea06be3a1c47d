"""The city's half (issue 22): functional departments (职能部门), which answer a street's whistle."""
