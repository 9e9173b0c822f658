"""Deep Q-learning in the manner of the PyTorch tutorial "Reinforcement Learning (DQN)
Tutorial", rewritten small and without gym: the environment is replaced by random states and
rewards drawn from Python's random, so that two runs seeded alike see the same episodes. The
replay memory, optimize_model and the soft target update keep the tutorial's form; the networks
and the optimiser are passed in instead of being module globals."""
import argparse
import math
import random
from collections import namedtuple, deque
from itertools import count

import torch
import torch.nn as nn
import torch.optim as optim
import torch.nn.functional as F

device = torch.device("cpu")

Transition = namedtuple('Transition', ('state', 'action', 'next_state', 'reward'))

BATCH_SIZE = 16
GAMMA = 0.99
EPS_START = 0.9
EPS_END = 0.05
EPS_DECAY = 1000
TAU = 0.005
LR = 1e-4


class ReplayMemory(object):

    def __init__(self, capacity):
        self.memory = deque([], maxlen=capacity)

    def push(self, *args):
        """Save a transition"""
        self.memory.append(Transition(*args))

    def sample(self, batch_size):
        return random.sample(self.memory, batch_size)

    def __len__(self):
        return len(self.memory)


class DQN(nn.Module):

    def __init__(self, n_observations, n_actions):
        super(DQN, self).__init__()
        self.layer1 = nn.Linear(n_observations, 128)
        self.layer2 = nn.Linear(128, 128)
        self.layer3 = nn.Linear(128, n_actions)

    def forward(self, x):
        x = F.relu(self.layer1(x))
        x = F.relu(self.layer2(x))
        return self.layer3(x)


def select_action(policy_net, state, steps_done, n_actions):
    """Epsilon-greedy, with epsilon decaying from EPS_START to EPS_END."""
    sample = random.random()
    eps_threshold = EPS_END + (EPS_START - EPS_END) * math.exp(-1. * steps_done / EPS_DECAY)
    if sample > eps_threshold:
        with torch.no_grad():
            # the action with the larger expected reward
            return policy_net(state).max(1).indices.view(1, 1)
    return torch.tensor([[random.randrange(n_actions)]], device=device, dtype=torch.long)


def optimize_model(policy_net, target_net, optimizer, memory):
    if len(memory) < BATCH_SIZE:
        return None
    transitions = memory.sample(BATCH_SIZE)
    # a batch of transitions into a Transition of batches
    batch = Transition(*zip(*transitions))

    non_final_mask = torch.tensor(tuple(map(lambda s: s is not None, batch.next_state)),
                                  device=device, dtype=torch.bool)
    non_final_next_states = torch.cat([s for s in batch.next_state if s is not None])
    state_batch = torch.cat(batch.state)
    action_batch = torch.cat(batch.action)
    reward_batch = torch.cat(batch.reward)

    # Q(s_t, a) for the actions that were taken
    state_action_values = policy_net(state_batch).gather(1, action_batch)

    # V(s_{t+1}) = max_a Q_target(s_{t+1}, a), zero for final states
    next_state_values = torch.zeros(BATCH_SIZE, device=device)
    with torch.no_grad():
        next_state_values[non_final_mask] = target_net(non_final_next_states).max(1).values
    expected_state_action_values = (next_state_values * GAMMA) + reward_batch

    criterion = nn.SmoothL1Loss()
    loss = criterion(state_action_values, expected_state_action_values.unsqueeze(1))

    optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_value_(policy_net.parameters(), 100)
    optimizer.step()
    return loss.item()


def soft_update(policy_net, target_net):
    """θ′ ← τ θ + (1 − τ) θ′"""
    target_net_state_dict = target_net.state_dict()
    policy_net_state_dict = policy_net.state_dict()
    for key in policy_net_state_dict:
        target_net_state_dict[key] = (policy_net_state_dict[key] * TAU
                                      + target_net_state_dict[key] * (1 - TAU))
    target_net.load_state_dict(target_net_state_dict)


def random_state(n_observations):
    return torch.tensor([random.random() for _ in range(n_observations)], dtype=torch.float32,
                        device=device).unsqueeze(0)


def run_episodes(policy_net, target_net, optimizer, memory, num_episodes, episode_length,
                 n_observations=4, n_actions=2):
    losses = []
    steps_done = 0
    for i_episode in range(num_episodes):
        state = random_state(n_observations)
        for t in count():
            action = select_action(policy_net, state, steps_done, n_actions)
            steps_done += 1
            reward = torch.tensor([random.random()], device=device)
            terminated = t + 1 >= episode_length
            next_state = None if terminated else random_state(n_observations)
            memory.push(state, action, next_state, reward)
            state = next_state
            losses.append(optimize_model(policy_net, target_net, optimizer, memory))
            soft_update(policy_net, target_net)
            if terminated:
                print('episode', i_episode, 'loss', losses[-1])
                break
    return losses


def make_agent(n_observations=4, n_actions=2):
    policy_net = DQN(n_observations, n_actions).to(device)
    target_net = DQN(n_observations, n_actions).to(device)
    target_net.load_state_dict(policy_net.state_dict())
    optimizer = optim.AdamW(policy_net.parameters(), lr=LR, amsgrad=True)
    return policy_net, target_net, optimizer


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument('--episodes', type=int, default=5)
    parser.add_argument('--episode-length', type=int, default=20)
    args = parser.parse_args(argv)
    random.seed(0)
    torch.manual_seed(0)
    policy_net, target_net, optimizer = make_agent()
    memory = ReplayMemory(10000)
    return run_episodes(policy_net, target_net, optimizer, memory, args.episodes,
                        args.episode_length)


if __name__ == '__main__':
    main()
