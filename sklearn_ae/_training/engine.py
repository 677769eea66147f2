"""The training engine: a private skorch ``NeuralNet`` and its stopping rule.

The estimator configures an engine once, at construction, for one training
run: the module (fresh, or the fitted one for a warm start), the optimizer
state and history to continue from, the corruption and penalty hooks and the
validation rows. Nothing is written into it afterwards.
"""

import functools
import math
import sys

import numpy as np
import torch
from skorch import NeuralNet
from skorch.callbacks import Callback, EarlyStopping, EpochTimer, PassthroughScoring
from skorch.history import History

from .._nn.inference import squared_error
from .data import SliceLoader, TensorData, inference_batch_size
from .fast_path import plan_epoch
from .optimizers import OPTIMIZERS
from .stored import BlockLoader


class ModuleCriterion:
    """skorch's criterion: the module's own ``reconstruction_loss``.

    A plain callable, not a ``torch.nn.Module``: a loss has no weights, and
    skorch's Accelerate integration would otherwise wrap it for distributed
    training. ``loss`` names the observation model (a key of ``LOSSES``).
    """

    def __init__(self, module):
        self.module = module
        self.loss = module.loss

    def __call__(self, output, target, observed=None):
        return self.module.reconstruction_loss(output, target, observed)


class Penalty:
    """A term added to the training loss: the ``penalty`` hook of an estimator.

    Subclasses implement ``__call__(module, X, code, generator) -> scalar``;
    ``needs_input_grad`` asks the engine to make ``X`` require gradients
    before the forward pass (for penalties on derivatives with respect to X).
    """

    needs_input_grad = False
    # Whether the term belongs to the model's objective (counted in valid_loss).
    in_objective = False

    def __call__(self, module, X, code, generator):
        raise NotImplementedError

    def end_epoch(self, module, optimizer, generator):
        """Called after each training epoch, before the stopping rule; does nothing."""

    def epoch_terms(self, train_loss):
        """Values to record in the epoch's history row, from its ``train_loss``; none."""
        return {}


class PenaltyTerms(Callback):
    """Records the penalty's ``epoch_terms`` in the history, once ``train_loss`` is there."""

    def __init__(self, penalty):
        self.penalty = penalty

    def on_epoch_end(self, net, **kwargs):
        row = net.history[-1]
        for name, value in self.penalty.epoch_terms(row["train_loss"]).items():
            net.history.record(name, value)


def validation_metrics(module, X, loss, penalty=None, fill=None):
    """The training objective per element and the mean summed squared error on ``X``.

    Computed in eval mode and in batches, so it is the same whatever the
    number of rows: ``(valid_loss, mean reconstruction_error)``. The penalty
    counts only where it is part of the model's objective (a VAE's KL term).
    """
    batch_size = inference_batch_size(X.shape[1])
    was_training = module.training
    module.eval()
    total_loss = total_error = 0.0
    with torch.no_grad():
        for start in range(0, X.shape[0], batch_size):
            batch = X[start : start + batch_size]
            observed = None if fill is None else ~torch.isnan(batch)
            inputs = batch if fill is None else torch.where(observed, batch, fill)
            output, code = module(inputs)
            objective = module.reconstruction_loss(output, batch, observed)
            if penalty is not None and penalty.in_objective:
                objective = objective + penalty(module, inputs, code, None)
            total_loss += float(objective) * batch.numel()
            recon = module.observation.to_data(output)
            if observed is not None:  # missing entries count as reconstructed
                recon = torch.where(observed, recon, batch.nan_to_num())
                batch = batch.nan_to_num()
            total_error += float(squared_error(batch, recon).sum())
    module.train(was_training)
    return total_loss / (X.shape[0] * X.shape[1]), total_error / X.shape[0]


class ConvergenceMonitor(Callback):
    """Stops on divergence or on a plateau, and keeps the best weights.

    The monitored quantity is the validation score (minus the mean summed
    squared error, as ``reconstruction_error``, or with ``score="objective"``
    minus the objective per sample) when ``validation_X`` is given, else
    minus the training loss. An epoch counts as an improvement
    when it beats the best so far by more than ``tol`` times the best's
    magnitude. With validation rows it records ``valid_loss`` (the training
    criterion, in the unit of ``train_loss``), ``valid_loss_best`` and
    ``valid_score`` in the history, as skorch's own callbacks expect.
    """

    def __init__(
        self,
        tol,
        n_iter_no_change,
        loss,
        validation_X=None,
        penalty=None,
        score="reconstruction",
        fill=None,
    ):
        self.fill = fill
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.loss = loss
        self.validation_X = validation_X
        self.penalty = penalty
        self.score = score

    def on_train_begin(self, net, **kwargs):
        self.best_ = -math.inf
        self.best_valid_loss_ = math.inf
        self.best_state_ = None
        self.n_bad_epochs_ = 0
        self.last_finite_loss_ = None
        self.converged_ = False
        net.stop_training_ = False

    def on_epoch_end(self, net, **kwargs):
        epoch = len(net.history)
        loss = net.history[-1]["train_loss"]  # a plain lookup: skorch's slicing is slow
        accelerator = getattr(net, "accelerator", None)
        if accelerator is not None and accelerator.num_processes > 1:
            # Every process must take the same stopping decision.
            loss = accelerator.reduce(torch.tensor(loss, device=accelerator.device), "mean").item()
            net.history.record("train_loss", loss)
        if not math.isfinite(loss):
            raise FloatingPointError(
                f"Training diverged at epoch {epoch}: the training loss became "
                f"{loss} (last finite loss: {self.last_finite_loss_}). Lower lr, "
                "or scale X (e.g. with StandardScaler or MinMaxScaler)."
            )
        self.last_finite_loss_ = loss
        if self.validation_X is None:
            current = -loss
        else:
            X_valid = self.validation_X
            module = net.plain_module()
            valid_loss, error = validation_metrics(
                module, X_valid, self.loss, self.penalty, self.fill
            )
            # "objective": minus the objective per sample (a VAE's ELBO at the mean).
            current = -error if self.score == "reconstruction" else -valid_loss * X_valid.shape[1]
            net.history.record("valid_loss", valid_loss)
            net.history.record("valid_loss_best", valid_loss < self.best_valid_loss_)
            net.history.record("valid_score", current)
            self.best_valid_loss_ = min(self.best_valid_loss_, valid_loss)
        if self.best_ == -math.inf or current > self.best_ + self.tol * abs(self.best_):
            self.best_, self.n_bad_epochs_ = current, 0
            if self.validation_X is not None:
                self.best_state_ = {
                    k: v.detach().clone() for k, v in net.plain_module().state_dict().items()
                }
        else:
            self.n_bad_epochs_ += 1
        if self.n_bad_epochs_ >= self.n_iter_no_change:
            self.converged_ = net.stop_training_ = True

    def on_train_end(self, net, **kwargs):
        if self.best_state_ is not None:
            net.plain_module().load_state_dict(self.best_state_)
        # Keep neither a second copy of the weights nor the validation data.
        self.best_state_ = self.validation_X = None


class PlainHistory(History):
    """skorch's ``History`` with plain lookups for a plain index.

    skorch resolves every index, ``history[-1]`` included, through its
    column-selection parser: recording five values an epoch took a tenth of a
    one-batch epoch. Tuple indices (``history[:, "train_loss"]``) still go
    through skorch's parser.
    """

    def __getitem__(self, i):
        if isinstance(i, int):
            return list.__getitem__(self, i)
        return super().__getitem__(i)


class EpochLoss(PassthroughScoring):
    """skorch's ``PassthroughScoring`` of the training loss, reading the epoch's
    batches as a plain list: skorch's history slicing took a quarter of an
    epoch of one batch. The same weighted mean, the same history entries."""

    def __init__(self):
        super().__init__(name="train_loss", on_train=True)

    def get_avg_score(self, history):
        batches = history[-1]["batches"]
        if len(batches) == 1:  # numpy's weighted mean of one value, without numpy's overhead
            weight = float(batches[0]["train_batch_size"])
            return batches[0]["train_loss"] * weight / weight
        return np.average(
            [batch["train_loss"] for batch in batches],
            weights=[batch["train_batch_size"] for batch in batches],
        )

    def on_epoch_end(self, net, **kwargs):
        history = net.history
        batches = history[-1]["batches"]
        if not batches or any(self.name not in batch for batch in batches):
            return
        score = self.get_avg_score(history)
        is_best = self._is_best_score(score)
        if is_best:
            self.best_score_ = score
        history.record(self.name, score)
        history.record(self.name + "_best", bool(is_best))


class EpochBar(Callback):
    """``verbose=1``: one progress bar of the run's epochs (done out of the most
    it may run), the current losses, time spent and time left; tqdm's, drawn as
    a widget in a notebook. Early stopping closes it before its end."""

    def on_train_begin(self, net, **kwargs):
        from tqdm.auto import tqdm

        self.bar_ = tqdm(total=net.planned_epochs_, unit="epoch", desc=net.progress_name or None)

    def on_epoch_end(self, net, **kwargs):
        row = net.history[-1]
        losses = {"train_loss": f"{row['train_loss']:.4g}"}
        if "valid_loss" in row:
            losses["valid_loss"] = f"{row['valid_loss']:.4g}"
        self.bar_.set_postfix(losses, refresh=False)
        self.bar_.update(1)

    def on_train_end(self, net, **kwargs):
        self.bar_.close()


class EpochLog(Callback):
    """Plain-text progress for logs: one line per epoch with ``verbose >= 2``,
    and per batch with ``verbose >= 3``.

    No ANSI codes and no progress bar, so captured output and log files read
    cleanly; on a terminal the per-batch line is rewritten in place.
    """

    def __init__(self, verbose):
        self.verbose = verbose

    def on_epoch_begin(self, net, dataset_train=None, **kwargs):
        self.n_batches_ = math.ceil(len(dataset_train) / net.batch_size) if dataset_train else 0
        self.batch_ = 0

    def on_batch_end(self, net, training=True, loss=None, **kwargs):
        if self.verbose < 3 or not training:
            return
        self.batch_ += 1
        stream = sys.stdout
        end = "\r" if stream.isatty() else "\n"
        print(f"  batch {self.batch_}/{self.n_batches_}  loss {float(loss):.6g}", end=end)

    def on_epoch_end(self, net, **kwargs):
        row = net.history[-1]
        parts = [f"epoch {row['epoch']:>4}", f"train_loss {row['train_loss']:.6g}"]
        if "valid_loss" in row:
            parts.append(f"valid_loss {row['valid_loss']:.6g}")
        parts.append(f"dur {row['dur']:.3f}s")
        print("  ".join(parts), flush=True)


class AutoencoderNet(NeuralNet):
    """skorch ``NeuralNet`` specialised for autoencoders.

    Differences from skorch's defaults, each deliberate: batches come from
    ``SliceLoader``; no internal validation split (``ConvergenceMonitor``
    handles early stopping); a ``KeyboardInterrupt`` propagates instead of
    being swallowed (skorch's ``EarlyStopping`` still stops training); the
    module returns ``(reconstruction, code)``; a warm start passes the
    previous ``optimizer_state`` and ``previous_history`` at construction.
    """

    def __init__(
        self,
        module,
        *args,
        corruption=None,
        penalty=None,
        generator=None,
        monitor=None,
        optimizer_state=None,
        previous_history=None,
        fill=None,
        progress_name="",
        **kwargs,
    ):
        super().__init__(module, *args, **kwargs)
        self.progress_name = progress_name
        self.fill = fill
        self.corruption = corruption
        self.penalty = penalty
        self.generator = generator
        self.monitor = monitor
        self.optimizer_state = optimizer_state
        self.previous_history = previous_history

    @property
    def _default_callbacks(self):
        callbacks = [
            ("epoch_timer", EpochTimer()),
            ("train_loss", EpochLoss()),
        ]
        if self.penalty is not None and type(self.penalty).epoch_terms is not Penalty.epoch_terms:
            callbacks.append(("penalty_terms", PenaltyTerms(self.penalty)))
        if self.monitor is not None:
            callbacks.append(("convergence", self.monitor))
        if self.verbose == 1:
            callbacks.append(("epoch_bar", EpochBar()))
        elif self.verbose:
            callbacks.append(("epoch_log", EpochLog(self.verbose)))
        return callbacks

    def get_all_learnable_params(self):
        # A submodule with an optimizer of its own (an adversarial
        # autoencoder's discriminator) is not the engine optimizer's to step.
        module = self.plain_module()
        own = {
            id(param)
            for name in getattr(module, "separately_trained", ())
            for param in getattr(module, name).parameters()
        }
        for name, param in super().get_all_learnable_params():
            if id(param) not in own:
                yield name, param

    def initialize_history(self):
        self.history_ = PlainHistory()
        for epoch in self.previous_history or ():
            self.history_.append(dict(epoch))
        return self

    def initialize_optimizer(self, *args, **kwargs):
        super().initialize_optimizer(*args, **kwargs)
        if self.optimizer_state is not None:
            self.optimizer_.load_state_dict(self.optimizer_state)
            # The state carries over; the settings of this run are the current ones.
            for group in self.optimizer_.param_groups:
                group["lr"] = self.lr
                group["weight_decay"] = self.optimizer__weight_decay
        return self

    def _set_training(self, training=True):
        # skorch walks every submodule on every batch; once per mode change is
        # enough (5% of a small network's step time).
        if self.module_.training != training:
            super()._set_training(training)

    def plain_module(self):
        """The autoencoder module, unwrapped if distributed training wrapped it."""
        return getattr(self.module_, "module", self.module_)

    def infer(self, x, **fit_params):
        return self.module_(x, generator=self.generator)

    def backward(self, loss):
        loss.backward()

    def train_step_single(self, batch, **fit_params):
        self._set_training(True)
        Xi, yi = batch
        dense_step = getattr(self, "_dense_step", None)
        if dense_step is not None:  # the same gradients, without autograd's bookkeeping
            loss, y_pred = dense_step(Xi, yi)
            return {"loss": loss, "y_pred": y_pred}
        if self.fill is not None:  # missing entries: the input gets the fill values
            Xi = torch.where(torch.isnan(yi), self.fill, yi)
        if self.corruption is not None:
            Xi = self.corruption(Xi, self.generator)
        if self.penalty is not None and self.penalty.needs_input_grad:
            Xi = Xi.detach().requires_grad_(True)
        y_pred = self.infer(Xi)
        loss = self.get_loss(y_pred, yi, X=Xi, training=True)
        self.backward(loss)
        return {"loss": loss, "y_pred": y_pred}

    def get_loss(self, y_pred, y_true, X=None, training=False):
        output, code = y_pred
        observed = None if self.fill is None else ~torch.isnan(y_true)
        loss = self.criterion_(output, y_true, observed)
        if training and self.penalty is not None:
            loss = loss + self.penalty(self.plain_module(), X, code, self.generator)
        return loss

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        # Planned each epoch: a callback may have registered a hook since.
        plan = plan_epoch(self, training and iterator is not None)
        self._dense_step = plan.dense_step
        # skorch notifies every callback three times a batch and steps through
        # a closure: on a 6-64-3-64-6 network that was a quarter of the step's
        # time. When no callback listens per batch, this loop does the same
        # work (the same operations in the same order, the same history).
        if plan.optimizer_step is None:
            return super().run_single_epoch(iterator, training, prefix, step_fn, **fit_params)
        optimizer, batches = self.optimizer_, self.history[-1]["batches"]
        loss_key, size_key = prefix + "_loss", prefix + "_batch_size"
        step = plan.optimizer_step
        params = [p for group in optimizer.param_groups for p in group["params"]]
        for batch in iterator:
            for param in params:  # zero_grad(set_to_none=True), without its profiler record
                param.grad = None
            loss = self.train_step_single(batch)["loss"]
            step()
            batches.append({loss_key: loss.item(), size_key: len(batch[0])})
        self.history.record(prefix + "_batch_count", len(batches))

    def _stopped_by_early_stopping(self):
        return any(
            isinstance(cb, EarlyStopping) and cb.misses_ >= cb.patience for _, cb in self.callbacks_
        )

    def fit_loop(self, X, y=None, epochs=None, **fit_params):
        self.check_training_readiness()
        epochs = self.max_epochs if epochs is None else epochs
        dataset = self.get_dataset(X)
        batches = self.get_iterator(dataset, training=True)
        epoch_kwargs = {"dataset_train": dataset, "dataset_valid": None}
        self.stop_training_ = False
        for _ in range(epochs):
            self.notify("on_epoch_begin", **epoch_kwargs)
            self.run_single_epoch(batches, training=True, prefix="train", step_fn=self.train_step)
            if self.penalty is not None:
                self.penalty.end_epoch(self.plain_module(), self.optimizer_, self.generator)
            try:
                self.notify("on_epoch_end", **epoch_kwargs)
            except KeyboardInterrupt:
                # skorch's EarlyStopping stops by raising KeyboardInterrupt;
                # anything else (a user's Ctrl-C) must stop the program.
                if not self._stopped_by_early_stopping():
                    raise
                break
            if self.stop_training_:
                break
        return self

    def partial_fit(self, X, y=None, classes=None, epochs=None, **fit_params):
        # Unlike skorch, never swallow KeyboardInterrupt: a user's Ctrl-C (or
        # GridSearchCV being stopped) must stop the whole program.
        if not self.initialized_:
            self.initialize()
        self.planned_epochs_ = self.max_epochs if epochs is None else epochs  # the bar's total
        self.notify("on_train_begin", X=X, y=y)
        self.fit_loop(X, epochs=epochs)
        self.notify("on_train_end", X=X, y=y)
        return self


def _accelerated_net_class():
    from skorch.hf import AccelerateMixin

    class AcceleratedAutoencoderNet(AccelerateMixin, AutoencoderNet):
        """``AutoencoderNet`` trained data-parallel through Hugging Face Accelerate."""

        train_step_single = AutoencoderNet.train_step_single  # keeps the corruption
        # Accelerate's own step (gradient accumulation, synchronisation).
        run_single_epoch = NeuralNet.run_single_epoch

        def backward(self, loss):
            self.accelerator.backward(loss)

    return AcceleratedAutoencoderNet


def make_net(
    module,
    *,
    loss,
    optimizer,
    lr,
    weight_decay,
    batch_size,
    max_epochs,
    shuffle,
    shuffle_generator,
    generator,
    monitor,
    callbacks,
    device,
    verbose,
    corruption=None,
    penalty=None,
    optimizer_state=None,
    previous_history=None,
    fill=None,
    accelerator=None,
    progress_name="",
    stored=False,
):
    """Build and initialise the engine for one training run of ``module``.

    ``stored``: the training rows are a store's ``StoredRows``, read buffer by
    buffer (``BlockLoader``) instead of sliced from one tensor.

    ``fill`` (a tensor of per-feature values) marks data with missing entries
    (NaN): the network sees them filled, and the loss counts observed entries only.
    """
    net_class, extra = AutoencoderNet, {}
    if accelerator is not None:
        net_class = _accelerated_net_class()
        extra = {
            "accelerator": accelerator,
            "iterator_train__num_shards": accelerator.num_processes,
            "iterator_train__shard": accelerator.process_index,
        }
        device = None  # the accelerator places the module
    for key, value in OPTIMIZERS[optimizer].options.items():
        extra[f"optimizer__{key}"] = value
    net = net_class(
        module,
        criterion=functools.partial(ModuleCriterion, module),
        optimizer=OPTIMIZERS[optimizer].torch_class,
        optimizer__weight_decay=weight_decay,
        lr=lr,
        max_epochs=max_epochs,
        batch_size=batch_size,
        iterator_train=BlockLoader if stored else SliceLoader,
        iterator_train__shuffle=shuffle,
        iterator_train__generator=shuffle_generator,
        dataset=TensorData,
        train_split=None,
        callbacks=callbacks,
        generator=generator,
        monitor=monitor,
        corruption=corruption,
        penalty=penalty,
        optimizer_state=optimizer_state,
        previous_history=previous_history,
        fill=fill,
        device=device,
        verbose=verbose,
        progress_name=progress_name,
        **extra,
    )
    return net.initialize()
