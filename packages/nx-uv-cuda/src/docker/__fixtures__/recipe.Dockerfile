# syntax=docker/dockerfile:1
ARG CUDA_VERSION=12.4.1
ARG CUDA_VARIANT=cudnn
ARG UBUNTU_VERSION=22.04

FROM nvidia/cuda:${CUDA_VERSION}-${CUDA_VARIANT}-devel-ubuntu${UBUNTU_VERSION} AS base
ARG CMAKE_VERSION=3.26.1
ENV DEBIAN_FRONTEND=noninteractive \
    UV_LINK_MODE=copy
RUN apt-get update && \
    apt-get install -y --no-install-recommends python3.11 python3.11-dev git curl && \
    rm -rf /var/lib/apt/lists/*
COPY --from=ghcr.io/astral-sh/uv:0.5.4 /uv /uvx /bin/
WORKDIR /app

FROM base AS deps-dev
ARG TORCH_BACKEND=cu124
COPY uv.lock pyproject.toml ./
RUN --mount=type=cache,target=/root/.cache/uv --mount=type=bind,source=libs/shared,target=/app/libs/shared uv sync --locked --no-install-project --extra ${TORCH_BACKEND}
COPY src/ ./src/

FROM base AS deps-prod
ARG TORCH_BACKEND=cu124
COPY prod/uv.lock prod/pyproject.toml ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --locked --no-dev --no-install-project --extra ${TORCH_BACKEND}

FROM deps-prod AS wheel-prod
ARG FLASH_ATTN_VERSION=2.7.4
RUN --mount=type=cache,target=/root/.cache/pip \
    MAX_JOBS=4 uv run pip wheel flash-attn==${FLASH_ATTN_VERSION} --no-build-isolation -w /wheelhouse

FROM scratch AS wheels
COPY --from=wheel-prod /wheelhouse/ /

FROM deps-dev AS dev
COPY --from=wheels / /wheels/
RUN uv pip install /wheels/*.whl

FROM deps-prod AS prod
COPY --from=wheels / /wheels/
RUN uv pip install /wheels/*.whl && useradd app
COPY --chown=app:app src/ ./src/
USER app
CMD ["python", "-m", "service"]
