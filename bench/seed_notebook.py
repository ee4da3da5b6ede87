"""The seed notebook (``000_*``: "what happens to regions of data when passed through neural
networks and non linearities"), cell by cell, as one headless script: the reference the
benchmarks compare spacewarp against. Same cells in the same order, same models, same
weights recipe, same figures (saved as fig01.png ... instead of shown); the notebook's
markdown is kept as comments. The 2-D/3-D part is timed on its own (the benchmarks'
figure), then the notebook's 1-D part runs.

    python bench/seed_notebook.py OUTDIR [mesh|gaussian] [tanh|relu] [manual|random] [N_GAUSS]
                                  [--no-1d]

``--no-1d`` stops after the 2-D/3-D part (what ``spacewarp render`` is compared with).
"""
# ruff: noqa: E402, E731, E501, I001, B023  - kept close to the notebook's own code
import os
import sys
import time

only_2d = "--no-1d" in sys.argv
sys.argv = [a for a in sys.argv if a != "--no-1d"]
# ### Input Type ('Gaussian Cloud' or 'Mesh Grid')                                   In [29]
out = sys.argv[1]
input_type = {"mesh": "Mesh Grid", "gaussian": "Gaussian Cloud"}[
    sys.argv[2] if len(sys.argv) > 2 else "gaussian"]
assert input_type in ['Mesh Grid', 'Gaussian Cloud']  # In [30]
# ### Non Linearity Type ('relu' or 'tanh')                                           In [31]
nl_type = sys.argv[3] if len(sys.argv) > 3 else 'tanh'
assert nl_type in ['relu', 'tanh']  # In [32]
# ### Weight Initialization Type ('manual' or 'random')                              In [33]
init_type = sys.argv[4] if len(sys.argv) > 4 else 'manual'
assert init_type in ['manual', 'random']  # In [34]
n_gauss = int(sys.argv[5]) if len(sys.argv) > 5 else 1000  # the notebook's 1000
os.makedirs(out, exist_ok=True)
t0 = time.perf_counter()

# Load libraries                                                                     In [35]
import numpy as np
import torch
import torch.nn as nn
import matplotlib
matplotlib.use("Agg")  # headless: figures are saved, not shown (%matplotlib widget)
import matplotlib.pyplot as plt
from mpl_toolkits.mplot3d import Axes3D  # noqa: F401  (the notebook's 3-D axes)

fig_no = [0]


def save():
    """Where the notebook shows a figure, the script saves it: fig01.png, fig02.png, ..."""
    fig_no[0] += 1
    plt.savefig(os.path.join(out, f"fig{fig_no[0]:02d}.png"))
    plt.close("all")


def set_default(figsize=(12, 12)):  # In [36]
    plt.style.use(['dark_background', 'bmh'])
    plt.rc('axes', facecolor='k')
    plt.rc('figure', facecolor='k')
    plt.rc('figure', figsize=figsize)


def show_scatterplot(X, colors, title=''):
    colors = colors.cpu().numpy()
    X = X.cpu().numpy()
    plt.figure()
    plt.axis('equal')
    plt.scatter(X[:, 0], X[:, 1], c=colors, s=30)
    plt.title(title)
    plt.axis()
    save()


device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
set_default()

# # 3D  (In [37]-[39]: ipympl installation instructions, commented out in the notebook)


def show_scatterplot_3D(X, colors, title=''):  # In [40]
    colors = colors.cpu().numpy()
    X = X.cpu().numpy()
    fig = plt.figure()
    ax = fig.add_subplot(111, projection='3d')
    ax.set_xlabel('x')
    ax.set_ylabel('y')
    ax.set_zlabel('z')
    ax.scatter(X[:, 0], X[:, 1], X[:, 2], c=colors, s=30)
    plt.title(title)
    save()


if input_type == 'Mesh Grid':  # In [41]
    x = np.arange(-5, 5, 0.1)
    y = np.arange(-5, 5, 0.1)
    xx, yy = np.meshgrid(x, y, sparse=True)
    xx = xx.reshape(-1)
    yy = yy.reshape(-1)
    inputs = torch.from_numpy(np.array([(i, j) for i in xx for j in yy]))
elif input_type == 'Gaussian Cloud':
    inputs = torch.randn(n_gauss, 2)
colors = inputs[:, 0]  # In [42]
if nl_type == 'relu':  # In [43]
    NL = nn.ReLU()
elif nl_type == 'tanh':
    NL = nn.Tanh()

# ### There are 6 network models defined below.                                      In [44]
n_data = 2
n_hidden = 3
bias = False
linear_model = nn.Sequential(nn.Linear(n_data, n_hidden, bias=bias)).to(device)
non_linear_model = nn.Sequential(nn.Linear(n_data, n_hidden, bias=bias), NL).to(device)
full_model = nn.Sequential(nn.Linear(n_data, n_hidden, bias=bias), NL,
                           nn.Linear(n_hidden, n_data, bias=bias)).to(device)
model_extra_hidden_layer = nn.Sequential(nn.Linear(n_data, n_hidden, bias=bias), NL,
                                         nn.Linear(n_hidden, n_hidden, bias=bias)).to(device)
model_extra_hidden_layer_nl = nn.Sequential(nn.Linear(n_data, n_hidden, bias=bias), NL,
                                            nn.Linear(n_hidden, n_hidden, bias=bias),
                                            NL).to(device)
full_model_extra_hidden_layer = nn.Sequential(nn.Linear(n_data, n_hidden, bias=bias), NL,
                                              nn.Linear(n_hidden, n_hidden, bias=bias), NL,
                                              nn.Linear(n_hidden, n_data, bias=bias)).to(device)

# ### Weight Initialization                                                          In [45]
S = 3
if n_hidden == 2:
    first_layer_initial_weights = S * torch.eye(2)
else:
    if n_hidden == 4:
        additional_weight_matrix = torch.ones(2, 2)
    elif n_hidden == 3:
        additional_weight_matrix = torch.ones(1, 2)
    first_layer_initial_weights = S * torch.cat((torch.eye(2), 2 * additional_weight_matrix), 0)
if init_type == 'manual':  # In [46]
    W1 = first_layer_initial_weights.to(device)
elif init_type == 'random':
    W1 = linear_model[0].weight.data
# As in the notebook, linear_model keeps its own first layer: with 'manual' weights the
# first 3-D figure shows a random 2 -> 3 map (the reference script copied W1 into it too).
non_linear_model[0].weight.data.copy_(W1)
full_model[0].weight.data.copy_(W1)
model_extra_hidden_layer[0].weight.data.copy_(W1)
model_extra_hidden_layer_nl[0].weight.data.copy_(W1)
full_model_extra_hidden_layer[0].weight.data.copy_(W1)
W3 = full_model[2].weight.data
full_model_extra_hidden_layer[4].weight.data.copy_(W3)
W2 = model_extra_hidden_layer[2].weight.data
model_extra_hidden_layer_nl[2].weight.data.copy_(W2)
full_model_extra_hidden_layer[2].weight.data.copy_(W2)
print('Weights of the first linear layer', W1, 'Weights of the last linear layer', W3,
      'Weights of the hidden linear layer', W2, sep='\n')

inputs = inputs.double().to(device)  # In [47]
linear_model = linear_model.double()
non_linear_model = non_linear_model.double()
full_model = full_model.double()
model_extra_hidden_layer = model_extra_hidden_layer.double()
model_extra_hidden_layer_nl = model_extra_hidden_layer_nl.double()
full_model_extra_hidden_layer = full_model_extra_hidden_layer.double()
outputs_1 = linear_model(inputs)  # In [48]
outputs_2 = non_linear_model(inputs)
outputs_3 = full_model(inputs)
outputs_4 = model_extra_hidden_layer(inputs)
outputs_5 = model_extra_hidden_layer_nl(inputs)
outputs_6 = full_model_extra_hidden_layer(inputs)

# ### The following is the step by step visualization of what happens to the input
# after each layer.                                                                  In [49]
show_scatterplot(inputs.data, colors=colors, title='Input')
show_scatterplot_3D(outputs_1.data, colors=colors, title='After Linear Layer (2D -> 3D)')
show_scatterplot_3D(outputs_2.data, colors=colors, title='After Linear Layer (2D -> 3D) + NL')
show_scatterplot(outputs_3.data, colors=colors, title='After Linear Layer (2D -> 3D) + NL + Linear Layer (3D -> 2D)')
show_scatterplot_3D(outputs_4.data, colors=colors, title='After Linear Layer (2D -> 3D) + NL + Hidden Layer (3D -> 3D)')
show_scatterplot_3D(outputs_5.data, colors=colors, title='After Linear Layer (2D -> 3D) + NL + Hidden Layer (3D -> 3D) + NL')
show_scatterplot(outputs_6.data, colors=colors, title='After Linear Layer (2D -> 3D) + NL + Hidden Layer (3D -> 3D) + NL + Linear Layer (3D -> 2D)')
print(f"seed 2D/3D part: {time.perf_counter() - t0:.3f} s")
if only_2d:
    sys.exit(0)

# ## 1D                                                                               In [22]
t1 = time.perf_counter()
n = 50
if input_type == 'Mesh Grid':
    inputs = torch.linspace(-1, 1, n)
elif input_type == 'Gaussian Cloud':
    inputs = torch.randn(n, 1)
# Converting 1-D inputs from (x) -> (x, 0) for visualizing as a scatter plot (float(x):
# today's NumPy no longer makes [tensor([x]), 0] a row, as the notebook's did)
inputs_in_2d = torch.from_numpy(np.array(list(map(lambda x: (np.array([float(x), 0])), inputs))))
inputs = inputs.view(-1, 1)

# ### There are 3 network models defined below: the first linear layer; the first linear
# and non linear layer; linear, NL and linear layer (1-D -> 2-D -> NL -> 1-D).       In [23]
n_data = 1
n_hidden = 2
bias = False
if nl_type == 'relu':
    NL = nn.ReLU()
elif nl_type == 'tanh':
    NL = nn.Tanh()
linear_model = nn.Sequential(nn.Linear(n_data, n_hidden, bias=bias)).to(device)
non_linear_model = nn.Sequential(nn.Linear(n_data, n_hidden, bias=bias), NL).to(device)
full_model = nn.Sequential(nn.Linear(n_data, n_hidden, bias=bias), NL,
                           nn.Linear(n_hidden, n_data, bias=bias)).to(device)
W = linear_model[0].weight.data  # In [24]
print('Weights of the first linear layer', W, sep='\n')
non_linear_model[0].weight.data.copy_(W)
full_model[0].weight.data.copy_(W)
print('Weights of the last linear layer', full_model[2].weight.data, sep='\n')
inputs = inputs.to(device)
outputs_1 = linear_model(inputs)  # In [25]
outputs_2 = non_linear_model(inputs)
outputs_3 = full_model(inputs)
outputs_3_in_2d = torch.from_numpy(np.array(list(map(lambda x: (np.array([float(x), 0])),
                                                     outputs_3.data.cpu()))))
colors = torch.cat((torch.zeros(25), torch.ones(25)))  # In [26]

# ### The following is the step by step visualization of what happens to the input after
# each layer. The colour scheme stays the same throughout.                           In [27]
show_scatterplot(inputs_in_2d.data, colors=colors)
show_scatterplot(outputs_1.data, colors=colors)
show_scatterplot(outputs_2.data, colors=colors)
show_scatterplot(outputs_3_in_2d, colors=colors)
# In [28]: a celluloid animation, commented out in the notebook.
print(f"seed 1D part: {time.perf_counter() - t1:.3f} s")
