# ruff: noqa: E501 - the seeds' code is kept verbatim, long lines and all
"""Every code block of the seeds (`../shared/seeds/*.txt`, the tutorials cornu is built for), kept here because CI has
no `/work/shared`: the verbatim text, whether it runs as written, runs after fixing a typo of the slides (`code`,
with the `note` saying what was fixed), or is not a Keras statement at all (numpy pseudo-code, printed output,
comments). `test_seed_snippets.py` runs each Keras one on cornu, after the `setup` its slide assumes (a model defined
on an earlier slide, the data), and executes its `check`; when the seeds are present it also checks that this list
still covers every block (and every inline Keras statement) they contain.

Duplicated blocks are listed once (`where` names every occurrence: seed file prefix / block number).
"""

import ast
import dataclasses
import re

__all__ = ["Snippet", "SETUPS", "SNIPPETS", "setup_code", "statement_key", "keras_statements"]


@dataclasses.dataclass(frozen=True)
class Snippet:
    where: str  # "004/15, 004/26": seed file prefix and block number of each occurrence
    text: str  # the block as the seed has it (lines stripped of trailing spaces, common indentation removed)
    status: str  # "runs" (as written), "fixed" (`code` runs), "not_keras"
    setup: str = None  # a key of SETUPS: what the slide assumes was run before
    code: str = None  # for "fixed": the block with the slide's typos corrected
    note: str = None  # what was fixed, or why the block is not a Keras statement
    check: str = None  # statements run after the block, asserting what it did
    xfail: str = None  # a known difference of cornu's, with the reason
    typos: tuple = ()  # (the typo'd line as written, the exception cornu raises, the fix its message suggests)

    @property
    def runnable(self):
        return self.code if self.code is not None else self.text


_BASE = """\
import numpy as np
import keras
from keras.models import Sequential, Model
from keras.layers.core import Dense, Activation, Dropout
from keras.layers import Input
from keras.optimizers import SGD, Adam, RMSprop, Adagrad
from keras.utils import np_utils
"""

# name -> (parent setup, code): what each slide assumes. MNIST_PATH and the Pokémon CSV (in the working folder) are
# provided by the test.
SETUPS = {
    "base": (None, _BASE),
    "empty_model": ("base", "model = Sequential()\n"),
    "hello_1": (
        "empty_model",
        "model.add(Dense(input_dim=28 * 28, output_dim=500))\nmodel.add(Activation('sigmoid'))\n",
    ),
    "hello_2": ("hello_1", "model.add(Dense(output_dim=500))\nmodel.add(Activation('sigmoid'))\n"),
    "mnist": (
        "base",
        """\
from keras.datasets import mnist
(x_train, y_train), (x_test, y_test) = mnist.load_data(MNIST_PATH)
x_train = x_train[:200].reshape(200, 28 * 28).astype('float32') / 255
x_test = x_test[:100].reshape(100, 28 * 28).astype('float32') / 255
y_train = np_utils.to_categorical(y_train[:200], 10)
y_test = np_utils.to_categorical(y_test[:100], 10)
""",
    ),
    "mnist_model": (
        "mnist",
        """\
model = Sequential()
model.add(Dense(input_dim=28 * 28, output_dim=500))
model.add(Activation('sigmoid'))
model.add(Dense(output_dim=500))
model.add(Activation('sigmoid'))
model.add(Dense(output_dim=10))
model.add(Activation('softmax'))
""",
    ),
    "mnist_compiled": (
        "mnist_model",
        "model.compile(loss='categorical_crossentropy', optimizer='adam', metrics=['accuracy'])\n",
    ),
    "rate": ("base", "rate = 0.5\n"),
    "pokemon": (
        "base",
        """\
my_data = np.genfromtxt('pkgo_city66_class5_v1.csv', delimiter=',', skip_header=1)
X_train = my_data[:, 0:200].astype('float32')
y_train = my_data[:, 200].astype('int')
Y_train = np_utils.to_categorical(y_train, 5)
X_test, Y_test = X_train[:16], Y_train[:16]
verbose = 0
""",
    ),
    "pokemon_model": (
        "pokemon",
        """\
model = Sequential()
model.add(Dense(128, input_dim=200))
model.add(Activation('sigmoid'))
model.add(Dense(256))
model.add(Activation('sigmoid'))
model.add(Dense(5))
model.add(Activation('softmax'))
sgd = SGD(lr=0.01, momentum=0.0, decay=0.0, nesterov=False)
loss, optimizer, metrics = 'mean_squared_error', sgd, ['accuracy']
""",
    ),
    "pokemon_model_data": ("pokemon_model", "data = X_train[:5]\n"),
    "pokemon_compiled": (
        "pokemon_model",
        "model.compile(loss='categorical_crossentropy', optimizer=sgd, metrics=['accuracy'])\n",
    ),
    "pokemon_hidden": (
        "pokemon",
        """\
model = Sequential()
model.add(Dense(128, input_dim=200, activation='sigmoid'))
model.add(Dense(256, activation='sigmoid'))
""",
    ),
    "functional": (
        "base",
        """\
input = Input(shape=(200,))
x = Dense(128, activation='sigmoid')(input)
x = Dense(256, activation='sigmoid')(x)
output = Dense(5, activation='softmax')(x)
model = Model(inputs=[input], outputs=[output])
""",
    ),
    "two_inputs": (
        "base",
        """\
x1 = Input(shape=(10,))
y1 = Dense(100)(x1)
x2 = Input(shape=(20,))
new_x2 = keras.layers.concatenate([y1, x2])
output = Dense(200)(new_x2)
""",
    ),
    "empty_l2": ("base", "from keras.regularizers import l2\nmodel_l2 = Sequential()\n"),
    "early_stopping": (
        "pokemon_compiled",
        """\
from keras.callbacks import EarlyStopping
earlyStopping = EarlyStopping(monitor='val_loss', min_delta=0.0001, patience=3)
""",
    ),
    "callbacks": (
        "pokemon_compiled",
        """\
from keras.callbacks import Callback, EarlyStopping, LearningRateScheduler, ModelCheckpoint
class LossHistory(Callback):
    def on_train_begin(self, logs={}):
        self.loss = []
    def on_batch_end(self, batch, logs={}):
        self.loss.append(logs.get('loss'))
loss_history = LossHistory()
early_stopping = EarlyStopping(monitor='val_loss', min_delta=0.0001, patience=3)
lrate = LearningRateScheduler(lambda epoch: 0.01 / (1 + epoch))
checkpoint = ModelCheckpoint('model.h5', monitor='val_loss', verbose=1, save_best_only=True, mode='min')
""",
    ),
    "trained": ("pokemon_compiled", "model.fit(X_train, Y_train, batch_size=16, epochs=2, verbose=0)\n"),
    "loaded": (
        "trained",
        """\
model.save('filename.h5')
from keras.models import load_model
model_test = load_model('filename.h5')
x_train = X_train
""",
    ),
    "generator": (
        "pokemon",
        """\
import functools
_numpy = np
class _ReadOnce:  # the seed's generator parses the whole file again for every pass (1,500 times here): once is enough
    genfromtxt = staticmethod(functools.cache(_numpy.genfromtxt))
    def __getattr__(self, name):
        return getattr(_numpy, name)
np = _ReadOnce()
model = Sequential()
model.add(Dense(16, input_dim=200, activation='relu'))
model.add(Dense(5, activation='softmax'))
model.compile(loss='sparse_categorical_crossentropy', optimizer='adam')
""",
    ),
    "square": ("base", "model = Sequential()\nmodel.add(Dense(4, input_dim=4))\nmodel.add(Dense(4))\n"),
    "square_weights": ("square", "weights = model.get_weights()\n"),
    "layer_name": ("base", "model = Sequential()\nlayer_name = Dense(3, input_dim=2)\n"),
}


def setup_code(name):
    """The code of setup `name`, its parents' first."""
    parts = []
    while name is not None:
        parent, code = SETUPS[name]
        parts.insert(0, code)
        name = parent
    return "".join(parts)


def statement_key(text):
    """A block's identity: its text without any whitespace (the seeds differ in spacing and line breaks only)."""
    return "".join(text.split())


_FENCED = re.compile(r"```[a-z]*\n(.*?)```", re.S)
_INLINE = re.compile(r"`([^`\n]+)`")
_PLAIN_KERAS_CALL = re.compile(r"(?<![\w.])(keras(?:\.\w+)+\([^()\n]*\))", re.I)
_KERAS_WORD = re.compile(r"(?i)\b(keras|model)")


def keras_statements(seed_text):
    """The keys of a seed's code: every fenced block, every inline `code` span that is a call statement naming
    keras or a model, and every `keras.x.Y(...)` call written in plain text."""
    keys = [statement_key(block) for block in _FENCED.findall(seed_text)]
    prose = _FENCED.sub("", seed_text)
    for span in _INLINE.findall(prose):
        try:
            tree = ast.parse(span)
        except SyntaxError:
            continue
        if _KERAS_WORD.search(span) and any(isinstance(node, ast.Call) for node in ast.walk(tree)):
            keys.append(statement_key(span))
    keys.extend(statement_key(call) for call in _PLAIN_KERAS_CALL.findall(_INLINE.sub("", prose)))
    return keys


SNIPPETS = [
    Snippet(
        where="000/0",
        text="model = Sequential()",
        status="runs",
        setup="base",
        check="assert isinstance(model, Sequential) and model.layers == []",
    ),
    Snippet(
        where="000/1",
        text="""\
model.add( Dense( input dim=28*28,
                  output dim=500 ) )
model.add( Activation( 'sigmoid' ) )
""",
        status="fixed",
        setup="empty_model",
        code="""\
model.add( Dense( input_dim=28*28,
                  output_dim=500 ) )
model.add( Activation( 'sigmoid' ) )
""",
        note="the slide's text extraction lost the underscores: `input dim` and `output dim` are `input_dim` and `output_dim`",
        check="assert model.output_shape == (None, 500) and len(model.layers) == 2",
    ),
    Snippet(
        where="000/2",
        text="""\
model.add( Dense( output dim=500 ) )
model.add( Activation( 'sigmoid' ) )
""",
        status="fixed",
        setup="hello_1",
        code="""\
model.add( Dense( output_dim=500 ) )
model.add( Activation( 'sigmoid' ) )
""",
        note="lost underscore: `output dim` is `output_dim`",
        check="assert model.output_shape == (None, 500) and len(model.layers) == 4",
    ),
    Snippet(
        where="000/3",
        text="""\
model.add( Dense( output_dim=10 ) )
model.add( Activation( 'softmax' ) )
""",
        status="runs",
        setup="hello_2",
        check="assert model.output_shape == (None, 10) and model.count_params() == 784 * 500 + 500 + 500 * 500 + 500 + 5010",
    ),
    Snippet(
        where="000/4, 000/5, 002/0",
        text="""\
model.compile(loss='categorical_crossentropy',
              optimizer='adam',
              metrics=['accuracy'])
""",
        status="runs",
        setup="mnist_model",
        check="assert model.compiled and model.loss == 'categorical_crossentropy' and type(model.optimizer).__name__ == 'Adam'",
    ),
    Snippet(
        where="000/6, 000/7",
        text="model.fit(x_train, y_train, batch_size=100, nb_epoch=20)",
        status="runs",
        setup="mnist_compiled",
        check="assert int(model.optimizer.iterations) == 20 * 2  # 200 images in batches of 100, 20 epochs",
    ),
    Snippet(
        where="000/8",
        text="model.fit(x_train, y_train, batch size=100, nb epoch=20)",
        status="fixed",
        setup="mnist_compiled",
        code="model.fit(x_train, y_train, batch_size=100, nb_epoch=20)",
        note="lost underscores: `batch size` and `nb epoch` are `batch_size` and `nb_epoch`",
        check="assert int(model.optimizer.iterations) == 20 * 2",
    ),
    Snippet(
        where="000/9, 001/6, 002/2",
        text="""\
score = model.evaluate(x_test,y_test)
print('Total loss on Testing Set:', score[0])
print('Accuracy of Testing Set:', score[1])
""",
        status="runs",
        setup="mnist_compiled",
        check="assert len(score) == 2 and score[0] > 0 and 0 <= score[1] <= 1",
    ),
    Snippet(
        where="000/10, 001/7, 002/3",
        text="result = model.predict(x_test)",
        status="runs",
        setup="mnist_compiled",
        check="""\
assert result.shape == (100, 10)
np.testing.assert_allclose(result.sum(axis=1), 1, rtol=1e-5)
""",
    ),
    Snippet(
        where="001/0",
        text="model = sequential()",
        status="fixed",
        setup="base",
        code="model = Sequential()",
        note="Python names are case-sensitive: the class is `Sequential` (the notes wrote `sequential()`)",
        check="assert isinstance(model, Sequential)",
    ),
    Snippet(
        where="001/1",
        text="""\
model.add(Dense(input_dim=28 * 28, output_dim=500))
model.add(Activation('sigmoid'))
# keras 2.0
model.add(Dense(input_dim=28 * 28, units=500, activation='relu'))
""",
        status="runs",
        setup="empty_model",
        check="assert model.output_shape == (None, 500) and len(model.layers) == 3",
    ),
    Snippet(
        where="001/2",
        text="""\
model.add(Dense(output_dim=500))
model.add(Activation('sigmoid'))
# keras 2.0
model.add(Dense(units=500, activation='sigmoid'))
""",
        status="runs",
        setup="hello_1",
        check="assert model.output_shape == (None, 500) and len(model.layers) == 5",
    ),
    Snippet(
        where="001/3",
        text="""\
model.add(Dense(output_dim=10))
model.add(Activation('softmax'))
# keras 2.0
model.add(Dense(units=10, activation='softmax'))
""",
        status="runs",
        setup="hello_2",
        check="assert model.output_shape == (None, 10) and model.layers[-1].activation.__name__ == 'softmax'",
    ),
    Snippet(
        where="001/4",
        text="""\
model.compile(loss='categorical_crossentropy',
              optimizer='adam',
              metrics=['accuracy'])
# keras 2.0 同上
""",
        status="runs",
        setup="mnist_model",
        check="assert model.compiled and model.loss == 'categorical_crossentropy'",
    ),
    Snippet(
        where="001/5",
        text="model.fit(x_train,y_train,batch_size=100,nb_epoch=20)# keras 2.0 同",
        status="runs",
        setup="mnist_compiled",
        check="assert int(model.optimizer.iterations) == 20 * 2",
    ),
    Snippet(
        where="002/1",
        text="model.fit(x_train, y_train, batch_size=100, epochs=20)",
        status="runs",
        setup="mnist_compiled",
        check="assert int(model.optimizer.iterations) == 20 * 2",
    ),
    Snippet(
        where="003/0",
        text="0.001*np.random.randn(M, N)",
        status="not_keras",
        note="numpy: the slide's small-random-numbers weight initialization",
    ),
    Snippet(
        where="003/1",
        text="np.random.randn(fan_in, fan_out) / np.sqrt(fan_in)",
        status="not_keras",
        note="numpy: the slide's Xavier initialization formula",
    ),
    Snippet(
        where="003/2",
        text="keras.layers.Dropout(rate)",
        status="runs",
        setup="rate",
        check="assert isinstance(_, keras.layers.Dropout) and _.rate == 0.5",
    ),
    Snippet(
        where="003/3",
        text="model.compile(loss, optimizer, metrics)",
        status="fixed",
        setup="pokemon_model",
        code="model.compile(loss=loss, optimizer=optimizer, metrics=metrics)",
        note="the slide names the three arguments; passed by position they would bind in compile's order (optimizer, loss, metrics), so they are passed by name (loss, optimizer and metrics defined beforehand)",
        check="assert model.compiled and model.loss == 'mean_squared_error' and model.optimizer is optimizer",
    ),
    Snippet(
        where="003/4",
        text="""\
while True:
    batch_of_data = training_set.sample_data_batch()
    loss = NN.forward_path()
    dw = NN.backward_path()
    w += -learning_rate * dx
""",
        status="not_keras",
        note="the slide's training loop in pseudo-code, not a Keras statement",
    ),
    Snippet(
        where="003/5",
        text="#Momentum update",
        status="not_keras",
        note="a comment, not a Keras statement",
    ),
    Snippet(
        where="003/6",
        text="v = mu * v - learning_rate * dw #think of v as velocity.",
        status="not_keras",
        note="numpy momentum update, not a Keras statement",
    ),
    Snippet(
        where="003/7",
        text="W += v",
        status="not_keras",
        note="numpy momentum update, not a Keras statement",
    ),
    Snippet(
        where="003/8",
        text="#Nestrov momentum update",
        status="not_keras",
        note="a comment, not a Keras statement",
    ),
    Snippet(
        where="003/9",
        text="v_previous = v",
        status="not_keras",
        note="numpy Nesterov update, not a Keras statement",
    ),
    Snippet(
        where="003/10",
        text="v = mu * v - learning_rate * dw",
        status="not_keras",
        note="numpy Nesterov update, not a Keras statement",
    ),
    Snippet(
        where="003/11",
        text="W += -mu * v_previous + (1+mu) * v",
        status="not_keras",
        note="numpy Nesterov update, not a Keras statement",
    ),
    Snippet(
        where="003/12",
        text="#Adagrad update",
        status="not_keras",
        note="a comment, not a Keras statement",
    ),
    Snippet(
        where="003/13, 003/17",
        text="epsilon = 1e-7",
        status="not_keras",
        note="numpy: the Adagrad/RMSprop epsilon, not a Keras statement",
    ),
    Snippet(
        where="003/14",
        text="mem += dw**2",
        status="not_keras",
        note="numpy Adagrad update, not a Keras statement",
    ),
    Snippet(
        where="003/15, 003/19",
        text="w += -learning_rate * dw / (np.sqrt(mem) + epsilon)",
        status="not_keras",
        note="numpy Adagrad/RMSprop update, not a Keras statement",
    ),
    Snippet(
        where="003/16",
        text="#RMSProp",
        status="not_keras",
        note="a comment, not a Keras statement",
    ),
    Snippet(
        where="003/18",
        text="mem = decay_rate * mem + (1 - decay_rate) * (dw**2)",
        status="not_keras",
        note="numpy RMSprop update, not a Keras statement",
    ),
    Snippet(
        where="003/20, 003/21",
        text="History = model.fit(X_train, Y_train, batch_size, ...)",
        status="fixed",
        setup="pokemon_compiled",
        code="History = model.fit(X_train, Y_train, batch_size=16)",
        note="the slide's `batch_size, ...` is a placeholder for fit's arguments: given here by name",
        check="assert set(History.history) == {'loss', 'accuracy'} and len(History.history['loss']) == 1",
    ),
    Snippet(
        where="003/22",
        text="model.evaluate(X_test, Y_test, verbose)",
        status="fixed",
        setup="pokemon_compiled",
        code="score = model.evaluate(X_test, Y_test, verbose=verbose)",
        note="`verbose` is passed by name: evaluate's third positional argument is batch_size (in Keras 2 as in 3)",
        check="assert len(score) == 2 and 0 <= score[1] <= 1",
    ),
    Snippet(
        where="003/23",
        text="model.predict_classes(data)",
        status="runs",
        setup="pokemon_model_data",
        check="assert _.tolist() == model.predict(data, verbose=0).argmax(axis=1).tolist()",
    ),
    Snippet(
        where="004/0",
        text="""\
import numpy as np

# 讀進檔案，以 , (逗號)分隔的 csv 檔，不包含第一行的欄位定義
my_data = np.genfromtext('pkgo_city66_class5_v1.csv',
                        delimiter=',',
                        skip_header=1)

# Input 是有 200 個欄位(index 從 0 - 199)
X_train = my_data[:,0:200]

# Output 是第 201 個欄位(index 為 200)
y_train = my_data[:,200]

# 確保資料型態正確
X_train = X_train.astype('float32')
y_train = y_train.astype('int')
""",
        status="fixed",
        setup="base",
        code="""\
import numpy as np

# 讀進檔案，以 , (逗號)分隔的 csv 檔，不包含第一行的欄位定義
my_data = np.genfromtxt('pkgo_city66_class5_v1.csv',
                        delimiter=',',
                        skip_header=1)

# Input 是有 200 個欄位(index 從 0 - 199)
X_train = my_data[:,0:200]

# Output 是第 201 個欄位(index 為 200)
y_train = my_data[:,200]

# 確保資料型態正確
X_train = X_train.astype('float32')
y_train = y_train.astype('int')
""",
        note="`np.genfromtext` is numpy's `np.genfromtxt`",
        check="assert X_train.shape == (64, 200) and X_train.dtype == np.float32 and y_train.dtype.kind == 'i'",
    ),
    Snippet(
        where="004/1",
        text="""\
# 觀察一筆 X_train
print(X_train[1,:32])
""",
        status="not_keras",
        note="numpy on the seeds' data, not a Keras statement",
    ),
    Snippet(
        where="004/2",
        text="""\
print(X_train[1,:32])

[ 7.32567608e-02 -7.03223109e-01 9.00000000e+00 8.00000000e+00
 2.00000000e+00 5.00000000e+01 4.50000000e+01 4.00000000e+00
 4.00000000e+00 5.00000000e+01 1.00000000e+00 8.00000000e+00
 8.00000000e+00 1.30000000e+01 0.00000000e+00 6.60000000e+01
 2.00000000e+00 5.00000000e+00 5.11728227e-01 -1.19994007e-01
 2.61039048e-01 4.33402471e-02 1.20537996e+00 1.83238339e+00
 -1.39905763e+00 1.12362671e+00 6.24226868e-01 -8.81169885e-02
 1.41916251e+00 -1.14249873e+00 -4.79164541e-01 0.00000000e+00 ]
""",
        status="not_keras",
        note="the printed output of the statement before",
    ),
    Snippet(
        where="004/3",
        text="""\
# 觀察一筆 y_train
print(y_train[0])
""",
        status="not_keras",
        note="numpy on the seeds' data, not a Keras statement",
    ),
    Snippet(
        where="004/4",
        text="y_train[0]",
        status="not_keras",
        note="numpy on the seeds' data, not a Keras statement",
    ),
    Snippet(
        where="004/5",
        text="1",
        status="not_keras",
        note="the printed output of the statement before",
    ),
    Snippet(
        where="004/6",
        text="# [重要] 將 Output 從特定類別轉換成 one-hot encoding 的形式",
        status="not_keras",
        note="a comment",
    ),
    Snippet(
        where="004/7",
        text="""\
from keras.utils import np_utils
Y_train = np_utils.to_categorical(y_train, 5)
""",
        status="runs",
        setup="pokemon",
        check="assert Y_train.shape == (64, 5) and Y_train.argmax(axis=1).tolist() == y_train.tolist()",
    ),
    Snippet(
        where="004/8",
        text="# 轉換成 one-hot encoding 後的 Y_train",
        status="not_keras",
        note="a comment",
    ),
    Snippet(
        where="004/9",
        text="print(Y_train[1,:])",
        status="not_keras",
        note="numpy on the seeds' data, not a Keras statement",
    ),
    Snippet(
        where="004/10",
        text="Y_train[0,:]",
        status="not_keras",
        note="numpy on the seeds' data, not a Keras statement",
    ),
    Snippet(
        where="004/11",
        text="array([ 0.,  1.,  0.,  0.,  0.])",
        status="not_keras",
        note="the printed output of the statement before",
    ),
    Snippet(
        where="004/12",
        text="""\
from keras.models import Sequential
from keras.layers.core import Dense, Activation
from keras.optimizers import SGD


# 宣告這是一個 Sequential 次序性的深度學習模型
model = Sequential()

# 加入第一層 hidden layer (128 neurons)
# [重要] 因為第一層 hidden layer 需連接 input vector
# 故需要在此指定 input_dim
model.add(Dense(128, input_dim=200))
""",
        status="runs",
        setup="base",
        check="assert model.output_shape == (None, 128) and model.count_params() == 200 * 128 + 128",
    ),
    Snippet(
        where="004/13",
        text="""\
# 宣告這是一個 Sequential 次序性的深度學習模型
model = Sequential()

# 加入第一層 hidden layer (128 neurons) 與指定 input 的維度
model.add(Dense(128, input_dim=200))
# 指定 activation function
model.add(Activation('sigmoid'))


# 加入第二層 hidden layer (256 neurons)
model.add(Dense(256))
model.add(Activation('sigmoid'))

# 加入 output layer (5 neurons)
model.add(Dense(5))
model.add(Activation('softmax'))

# 觀察 model summary
model.summary()
""",
        status="runs",
        setup="base",
        check="assert model.count_params() == 60037  # the seed's summary: Total params: 60037",
    ),
    Snippet(
        where="004/14",
        text="""\
# 另外一種寫法
model.add(Dense(5,activation='softmax',name='output'))

# 觀察 model summary
model.summary()
""",
        status="runs",
        setup="pokemon_hidden",
        check="""\
assert model.layers[-1].name == 'output' and model.output_shape == (None, 5)
assert model.count_params() == 60037
""",
    ),
    Snippet(
        where="004/15, 004/26, 004/31",
        text="""\
# 指定 optimizier
from keras.optimizers import SGD, Adam, RMSprop, Adagrad
sgd = SGD(lr=0.01, momentum=0.0, decay=0.0, nesterov=False)
""",
        status="runs",
        setup="base",
        check="assert sgd.learning_rate == 0.01 and sgd.momentum == 0.0 and sgd.nesterov is False",
    ),
    Snippet(
        where="004/16, 004/24, 004/32",
        text="""\
# 指定 loss function 和 optimizier
model.compile(loss='categorical_crossentropy',
                optimizer=sgd)
""",
        status="runs",
        setup="pokemon_model",
        check="assert model.compiled and model.optimizer is sgd and model.loss == 'categorical_crossentropy'",
    ),
    Snippet(
        where="004/17",
        text="""\
# 指定 batch_size, nb_epoch, validation 後，開始訓練模型!!!
history = model.fit( X_train,
                      Y_train,
                      batch_size=16,
                      verbose=0,
                      epochs=30,
                      shuffle=True,
                      validation_split=0.1)
""",
        status="runs",
        setup="pokemon_compiled",
        check="assert len(history.history['loss']) == 30 and len(history.history['val_loss']) == 30",
    ),
    Snippet(
        where="004/18",
        text="""\
from keras.layers import Input, Dense

input = Input(shape=(200,))
output = Dense(10)(input)
""",
        status="runs",
        setup="base",
        check="assert output.shape == (None, 10)",
    ),
    Snippet(
        where="004/19",
        text="""\
# Sequential (依序的)深度學習模型
model = Sequential()
model.add(Dense(128, input_dim=200))
model.add(Activation('sigmoid'))
model.add(Dense(256))
model.add(Activation('sigmoid'))
model.add(Dense(5))
model.add(Activation('softmax'))
model.summary()
""",
        status="runs",
        setup="base",
        check="assert model.count_params() == 60037",
    ),
    Snippet(
        where="004/20",
        text="""\
# Functional API
from keras.layers import Input, Dense
from keras.models import Model

input = Input(shape=(200,))
x = Dense(128,activation='sigmoid')(input)
x = Dense(256,activation='sigmoid')(x)
output = Dense(5,activation='softmax')(x)

# 定義 Model (function-like)
model = Model(inputs=[input], outputs=[output])
""",
        status="runs",
        setup="base",
        check="assert model.count_params() == 60037 and model.output_shape == (None, 5)",
    ),
    Snippet(
        where="004/21",
        text="""\
# If model and input is defined already
# re-use the same architecture of the above model
y1 = model(input)
""",
        status="runs",
        setup="functional",
        check="assert y1.shape == (None, 5)",
    ),
    Snippet(
        where="004/22",
        text="""\
x1 = input(shape=(10,))
y1 = Dense(100)(x1)

x2 = input(shape=(20,))
new_x2 = keras.layers.concatenate([y1,x2])
output = Dense(200)(new_x2)
""",
        status="fixed",
        setup="base",
        code="""\
x1 = Input(shape=(10,))
y1 = Dense(100)(x1)

x2 = Input(shape=(20,))
new_x2 = keras.layers.concatenate([y1,x2])
output = Dense(200)(new_x2)
""",
        note="the layer is `Input` (capital I); `input` is Python's built-in function",
        check="assert output.shape == (None, 200)",
    ),
    Snippet(
        where="004/23",
        text="Model = Model(inputs=[x1,x2],outputs=[output])",
        status="runs",
        setup="two_inputs",
        check="""\
assert Model.count_params() == (10 * 100 + 100) + (120 * 200 + 200)
assert Model.predict([np.ones((2, 10)), np.ones((2, 20))], verbose=0).shape == (2, 200)
""",
    ),
    Snippet(
        where="004/25",
        text="""\
# 指定 loss function 和 optimizier
model.compile(loss='mean_squared_error',
                optimizer=sgd)
""",
        status="runs",
        setup="pokemon_model",
        check="assert model.loss == 'mean_squared_error' and model.optimizer is sgd",
    ),
    Snippet(
        where="004/27",
        text="""\
# For example
From keras.layers.advanced_activation import LeakyReLU
lrelu = LeakyReLU(alpha = 0.02)
model.add(Dense(128, input_dim = 200))
# 指定 activation function
model.add(lrelu)
""",
        status="fixed",
        setup="empty_model",
        code="""\
# For example
from keras.layers.advanced_activations import LeakyReLU
lrelu = LeakyReLU(alpha = 0.02)
model.add(Dense(128, input_dim = 200))
# 指定 activation function
model.add(lrelu)
""",
        note="`From` is `from`, and the module is `keras.layers.advanced_activations` (with an s)",
        check="assert type(lrelu).__name__ == 'LeakyReLU' and lrelu.negative_slope == 0.02 and model.layers[1] is lrelu",
        typos=[
            (
                "from keras.layers.advanced_activation import LeakyReLU",
                "ModuleNotFoundError",
                "Did you mean 'keras.layers.advanced_activations'",
            )
        ],
    ),
    Snippet(
        where="004/28",
        text="""\
# 宣告這是一個 Sequential 次序性的深度學習模型
model = Sequential()

# 加入第一層 hidden layer (128 neurons) 與指定 input 的維度
model.add(Dense(128, input_dim=200))
# 指定 activation function
model.add(Activation('relu'))
# 加入第二層 hidden layer (256 neurons)
model.add(Dense(256))
model.add(Activation('relu'))
# 加入 output layer (5 neurons)
model.add(Dense(5))
model.add(Activation('softmax'))


# 觀察 model summary
model.summary()
""",
        status="runs",
        setup="base",
        check="assert model.count_params() == 60037 and model.layers[1].activation.__name__ == 'relu'",
    ),
    Snippet(
        where="004/29",
        text="keras.optimizers.RMSprop(lr=0.001, rho=0.9, epsilon=1e-08, decay=0.0)",
        status="runs",
        setup="base",
        check="assert type(_).__name__ == 'RMSprop' and _.learning_rate == 0.001 and _.rho == 0.9 and _.epsilon == 1e-08",
    ),
    Snippet(
        where="004/30",
        text="keras.optimizers.Adam(lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-08, decay=0.0)",
        status="runs",
        setup="base",
        check="assert type(_).__name__ == 'Adam' and _.learning_rate == 0.001 and _.beta_2 == 0.999 and _.epsilon == 1e-08",
    ),
    Snippet(
        where="004/33",
        text="""\
''' Import l1,l2 (regularizer) '''
from keras.regularizers import l1,l2

model_l2 = Sequential()

# 加入第一層 hidden layer 並加入 regularizer (alpha=0.01)
Model_l2.add(Dense(128, input_dim=200, kernel_regularizer=l2(0.01)))
Model_l2.add(Activation('relu'))

# 加入第二層 hidden layer 並加入 regularizer
model_l2.add(Dense(256, kernel_regularizer=l2(0.01)))
model_l2.add(Activation('relu'))


# 加入 Output layer
model_l2.add(Dense(5, kernel_regularizer=l2(0.01)))
model_l2.add(Activation('relu'))
""",
        status="fixed",
        setup="base",
        code="""\
''' Import l1,l2 (regularizer) '''
from keras.regularizers import l1,l2

model_l2 = Sequential()

# 加入第一層 hidden layer 並加入 regularizer (alpha=0.01)
model_l2.add(Dense(128, input_dim=200, kernel_regularizer=l2(0.01)))
model_l2.add(Activation('relu'))

# 加入第二層 hidden layer 並加入 regularizer
model_l2.add(Dense(256, kernel_regularizer=l2(0.01)))
model_l2.add(Activation('relu'))


# 加入 Output layer
model_l2.add(Dense(5, kernel_regularizer=l2(0.01)))
model_l2.add(Activation('relu'))
""",
        note="`Model_l2` is `model_l2` (Python names are case-sensitive)",
        check="""\
assert len(model_l2.layers) == 6 and model_l2.output_shape == (None, 5)
assert [l.kernel_regularizer.l2 for l in model_l2.layers[::2]] == [0.01] * 3
""",
    ),
    Snippet(
        where="004/34",
        text="""\
''' Import l1,l2 (regularizer) '''
from keras.regularizers import l1,l2,l1l2
# 加入第一層 hidden layer 並加入 regularizer (alpha=0.01)
Model_l2.add(Dense(128, input_dim=200, kernel_regularizer=l2(0.01)))
Model_l2.add(Activation('softplus'))
""",
        status="fixed",
        setup="empty_l2",
        code="""\
''' Import l1,l2 (regularizer) '''
from keras.regularizers import l1,l2,l1l2
# 加入第一層 hidden layer 並加入 regularizer (alpha=0.01)
model_l2.add(Dense(128, input_dim=200, kernel_regularizer=l2(0.01)))
model_l2.add(Activation('softplus'))
""",
        note="`Model_l2` is `model_l2` (Python names are case-sensitive)",
        check="""\
assert model_l2.layers[1].activation.__name__ == 'softplus' and model_l2.layers[0].kernel_regularizer.l2 == 0.01
assert l1l2(l1=0.01, l2=0.02).get_config() == {'l1': 0.01, 'l2': 0.02}
""",
    ),
    Snippet(
        where="004/35, 004/36",
        text="""\
''' EarlyStopping '''
from keras.callbacks import EarlyStopping
earlyStopping=EarlyStopping( monitor = 'val_loss',
                            min_delta = 0.0001,
                            patience = 3)
""",
        status="runs",
        setup="base",
        check="assert earlyStopping.monitor == 'val_loss' and earlyStopping.patience == 3 and abs(earlyStopping.min_delta) == 0.0001",
    ),
    Snippet(
        where="004/37",
        text="""\
# 指定 batch_size, nb_epoch, validation 後，開始訓練模型!!!
history = model.fit( X_train,
                      Y_train,
                      batch_size=16,
                      verbose=0,
                      epochs=30,
                      shuffle=True,
                      validation_split=0.1,
                      callbacks=[earlyStopping])
""",
        status="runs",
        setup="early_stopping",
        check="""\
epochs = len(history.history['loss'])
assert epochs == 30 or epochs == earlyStopping.stopped_epoch + 1
""",
    ),
    Snippet(
        where="004/38",
        text="""\
from keras.layers.core import Dropout
model = Sequential()


# 加入第一層 hidden layer 與 dropout=0.4
model.add(Dense(128, input_dim=200))
model.add(Activation('relu'))
model.add(Dropout(0.4))

# 加入第二層 hidden layer 與 dropout=0.4
model.add(Dense(256))
model.add(Activation('relu'))
model.add(Dropout(0.4))

# 加入 output layer (5 neurons)
model.add(Dense(5))
model.add(Activation('softmax'))
""",
        status="runs",
        setup="base",
        check="""\
assert [layer.rate for layer in model.layers if isinstance(layer, Dropout)] == [0.4, 0.4]
assert model.count_params() == 60037
""",
    ),
    Snippet(
        where="004/39",
        text="""\
from keras.layers import BatchNormalization
model = Sequential()

model.add(Dense(128, input_dim=200))
model.add(BatchNormalization())
model.add(Activation('relu'))

model.add(Dense(256))
model.add(BatchNormalization())
model.add(Activation('relu'))

# 加入 output layer (5 neurons)
model.add(Dense(5))
model.add(Activation('softmax'))

# 觀察 model summary
model.summary()
""",
        status="runs",
        setup="base",
        check="assert model.count_params() == 60037 + 4 * 128 + 4 * 256  # gamma, beta, moving mean and variance",
    ),
    Snippet(
        where="004/40",
        text="""\
from keras.callbacks import Callbacks
Class LossHistory(Callbacks):
    def on_train_begin(self, logs={}):
        self.loss = []
        self.acc = []
        self.val_loss = []
        self.val_acc = []
    def on_batch_end(self, batch, logs={}):
        self.loss.append(logs.get('loss'))
        self.acc.append(logs.get('acc'))
        self.val_loss.append(logs.get('val_loss'))
        self.val_acc.append(logs.get('val_acc'))
loss_history = LossHistory()
""",
        status="fixed",
        setup="pokemon_compiled",
        code="""\
from keras.callbacks import Callback
class LossHistory(Callback):
    def on_train_begin(self, logs={}):
        self.loss = []
        self.acc = []
        self.val_loss = []
        self.val_acc = []
    def on_batch_end(self, batch, logs={}):
        self.loss.append(logs.get('loss'))
        self.acc.append(logs.get('acc'))
        self.val_loss.append(logs.get('val_loss'))
        self.val_acc.append(logs.get('val_acc'))
loss_history = LossHistory()
""",
        note="the class is `keras.callbacks.Callback` (not `Callbacks`), and `class` is lower case",
        check="""\
model.fit(X_train, Y_train, batch_size=16, epochs=1, verbose=0, callbacks=[loss_history])
assert len(loss_history.loss) == len(loss_history.acc) == 4 and None not in loss_history.acc
""",
        typos=[("from keras.callbacks import Callbacks", "ImportError", "Did you mean 'Callback'")],
    ),
    Snippet(
        where="004/41",
        text="""\
from keras.callbacks import ModelCheckpoint

checkpoint = ModelCheckpoint('model.h5',
                            monitor = 'val_loss',
                            verbose = 1,
                            save_best_only = True,
                            mode = 'min')
""",
        status="runs",
        setup="base",
        check="assert checkpoint.filepath == 'model.h5' and checkpoint.save_best_only and checkpoint.monitor == 'val_loss'",
    ),
    Snippet(
        where="004/42",
        text="""\
history = model.fit(X_train, Y_train,
                      batch_size=16,
                      verbose=0,
                      epochs=30,
                      shuffle=True,
                      validation_split=0.1,
                      callbacks=[early_stopping,
                                 loss_history,
                                 lrate,
                                 checkpoint])
""",
        status="runs",
        setup="callbacks",
        check="""\
import os
assert os.path.exists('model.h5') and len(loss_history.loss) == 4 * len(history.history['loss'])
""",
    ),
    Snippet(
        where="004/43",
        text="""\
# save model
model.save("filename.h5")

# load model
from keras.model import load_model
model_test = load_model("filename.h5")

# BTW, use model.summary() to check your layers
Model_test.summary()
""",
        status="fixed",
        setup="trained",
        code="""\
# save model
model.save("filename.h5")

# load model
from keras.models import load_model
model_test = load_model("filename.h5")

# BTW, use model.summary() to check your layers
model_test.summary()
""",
        note="the module is `keras.models` (Keras never had `keras.model`), and `Model_test` is `model_test`",
        check="np.testing.assert_allclose(model_test.predict(X_train, verbose=0), model.predict(X_train, verbose=0), rtol=1e-6)",
        typos=[("from keras.model import load_model", "ModuleNotFoundError", "Did you mean 'keras.models'")],
    ),
    Snippet(
        where="004/44",
        text="""\
# get weights
myweight = model_test.get_weights()

# set weights
model_test.layers[1].set_weights(myweights[0:2])

# BTW, use model.summary() to check your layers
model_test.summary()
""",
        status="fixed",
        setup="loaded",
        code="""\
# get weights
myweights = model_test.get_weights()

# set weights
model_test.layers[0].set_weights(myweights[0:2])

# BTW, use model.summary() to check your layers
model_test.summary()
""",
        note="`myweight` is `myweights`; and `myweights[0:2]` (the first Dense layer's kernel and bias) fit `layers[0]`: in the seed's model `layers[1]` is an Activation, which has no weights (Keras refuses it too)",
        check="np.testing.assert_array_equal(model_test.layers[0].get_weights()[0], myweights[0])",
    ),
    Snippet(
        where="004/45",
        text="""\
# get weights
model_layer1 = Sequential()
model_layer1.add(Dense(128, input_dim=200,
                      weights=model_test.layers[0].get_weights()))

model_layer1.add(Activation('relu'))

# predict
model_layer1.predict(x_train[0:1])
""",
        status="runs",
        setup="loaded",
        check="""\
kernel, bias = model_test.layers[0].get_weights()
expected = np.maximum(x_train[0:1] @ kernel + bias, 0)
np.testing.assert_allclose(_, expected, rtol=1e-5, atol=1e-6)
""",
    ),
    Snippet(
        where="004/46",
        text="""\
# get weights
def train_generator(batch_size):
    while 1:
        data = np.genfromtext('pkgo_city66_class5_v1.csv',
                             delimiter=',',
                             skip_header=1)
        for i in range(0,np.floor(batch_size/len(data)))
            x = data[i*batch_size:(i+1)*batch_size,:200]
            y = data[i*batch_size:(i+1)*batch_size,200]
            yield x,y

Model.fit_generator(train_generator(28),
                    epochs=30,
                    steps_per_epoch=100,
                    validation_steps=100) # or validation_data
""",
        status="fixed",
        setup="generator",
        code="""\
# get weights
def train_generator(batch_size):
    while 1:
        data = np.genfromtxt('pkgo_city66_class5_v1.csv',
                             delimiter=',',
                             skip_header=1)
        for i in range(0, len(data) // batch_size):
            x = data[i*batch_size:(i+1)*batch_size,:200]
            y = data[i*batch_size:(i+1)*batch_size,200]
            yield x,y

model.fit_generator(train_generator(28),
                    epochs=30,
                    steps_per_epoch=100,
                    validation_steps=100) # or validation_data
""",
        note="`np.genfromtext` is `np.genfromtxt`; the `for` line needs its colon and an integer count of batches, `len(data) // batch_size`; `Model.fit_generator` is the instance's `model.fit_generator`; the generator yields class numbers, so the model is compiled with sparse_categorical_crossentropy",
        check="assert int(model.optimizer.iterations) == 30 * 100",
    ),
    Snippet(
        where="004 (inline)",
        text="keras.optimizers.SGD(lr=0.01, momentum=0.0, decay=0.0, nesterov=False)",
        status="runs",
        setup="base",
        check="assert type(_).__name__ == 'SGD' and _.learning_rate == 0.01 and _.momentum == 0.0",
    ),
    Snippet(
        where="004 (inline)",
        text="weights = model.get_weights()",
        status="runs",
        setup="square",
        check="assert len(weights) == 4 and weights[0].shape == (4, 4)",
    ),
    Snippet(
        where="004 (inline)",
        text="model.layers[1].set_weights(weights[0:2])",
        status="runs",
        setup="square_weights",
        check="np.testing.assert_array_equal(model.layers[1].get_weights()[0], model.layers[0].get_weights()[0])",
    ),
    Snippet(
        where="004 (inline)",
        text="model.add(layer_name)",
        status="runs",
        setup="layer_name",
        note="`layer_name` stands for any layer: the setup makes it `Dense(3, input_dim=2)`",
        check="assert model.layers == [layer_name] and model.output_shape == (None, 3)",
    ),
]
