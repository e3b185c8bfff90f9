/*
 * funds_codes.c - the Funds family's code map: every code of the vendor's
 * table with both texts, and the fg codes that mean it (api/family.h). The
 * vendor's 110004 repeats 110003's Chinese text; fundgate keeps the English
 * meaning and says it in Chinese.
 *
 * HTTP status: 200 for every answer but 990009 (401), 990429 (429) and an
 * operating failure, the fallback 110017 ("failed to initiate distributed
 * transaction", the nearest meaning), which keeps the fg code's 5xx.
 */
#include <stdlib.h>

#include "families/funds/funds.h"
#include "services/withdraw_errors.h"

#define F110001 "110001", "Parameter error", "参数错误", 200
#define F110002                                                                                    \
    "110002", "Uuid does not exist or the status is abnormal", "uuid不存在或状态异常", 200

static const struct api_code codes[] = {
    {0, "0", "success", "成功", 200},
    {-FG_EUNAUTHORIZED, "990009", "Unauthorized access is prohibited", "禁止未经授权的访问", 401},
    {-FG_ERATE_LIMITED, "990429", "Too many requests, please retry later",
     "请求过于频繁,请稍后重试", 429},
    {-FG_EBAD_REQUEST, F110001},
    {-FG_EBAD_JSON, F110001},
    {-FG_EUNKNOWN_FIELD, F110001},
    {-FG_EMISSING_FIELD, F110001},
    {-FG_EBAD_FIELD, F110001},
    {-FG_EBAD_AMOUNT, F110001},
    {-FG_ETOO_LARGE, F110001},
    {-FG_ETOO_DEEP, F110001},
    {-FG_EOVERFLOW, F110001},
    {-FG_EUNKNOWN_CUSTOMER, F110002},
    {-FG_ECUSTOMER_INACTIVE, F110002},
    {-FG_EUNKNOWN_ACCOUNT, "110003", "Account type is incorrect or does not exist",
     "账户类型错误或账号不存在", 200},
    {-FG_EWD_WALLET_CURRENCY, "110004",
     "The occurrence currency is different from the account currency", "发生币种与账户币种不一致",
     200},
    {-FG_EWD_INITIATOR_MISMATCH, "110005",
     "The uuid of the initiator and the generation account is different",
     "发起人和发生账户uuid不一致", 200},
    {-FG_EWD_NO_PERMISSION, "110006", "No operation permission", "无操作权限", 200},
    {-FG_EWD_UNKNOWN_APP, "110007", "Appid not exist", "APPID不存在", 200},
    {-FG_EWD_MODE_NOT_ALLOWED, "110008", "Operation not allowed mode id",
     "不允许的operation_mode_id", 200},
    {-FG_EWD_OPERATOR_ACCOUNT_TYPE, "110009",
     "The administrator does not support account type when creating an order",
     "管理员在创建订单时不支持账户类型", 200},
    {-FG_EWD_ORDER_UNKNOWN, "110010", "Order does not exist", "订单不存在", 200},
    {-FG_EWD_ORDER_EXISTS, "110011", "Order exist", "订单已存在", 200},
    {-FG_EWD_NO_RULE, "110012", "Setting item is empty", "配置项为空", 200},
    {-FG_EINSUFFICIENT_FUNDS, "110013", "Insufficient funds available for withdrawal",
     "可提资金不足", 200},
    {-FG_EWD_OPERATOR, "110014", "Invalid operator", "无效操作人", 200},
    {-FG_EWD_INITIATOR, "110015", "The initiator does not exist or is in an abnormal state",
     "发起人不存在或状态异常", 200},
    {-FG_EWD_ORDER_STATE, "110016", "Initiate order status error", "发起订单状态错误", 200},
    {-FG_EWD_UNKNOWN_MODE, "110018", "Operation method does not exist", "操作方式不存在", 200},
    {-FG_EWD_ORDER_SERIAL, "110019", "Invalid order serial", "无效订单号", 200},
    {-FG_EIDEMPOTENCY_CONFLICT, "110020", "Idempotent Check Failed", "幂等性校验失败", 200},
    {-FG_EWD_UNKNOWN_SOURCE, "110021", "Unknown source", "未知的来源", 200},
    {API_CODE_UNMAPPED, "110022", "The trading system interface is error", "交易系统接口错误", 200},
    {-FG_EACCOUNT_INACTIVE, "110023", "Abnormal securities account status", "证券账户状态异常",
     200},
    {-FG_EWD_TRADING_CURRENCY, "110024", "Trading accounts do not have this currency",
     "交易账户没有此币种", 200},
    {-FG_EUNKNOWN_CURRENCY, "110025", "Failed to obtain currency accuracy of trading account",
     "获取交易账号币种精度失败", 200},
    {-FG_EWD_FLOW_UNKNOWN, "110026", "Unknown fund flow", "未知的资金流向", 200},
    {-FG_EIN_PROGRESS, "110027", "Order is being processed in the system", "订单在系统处理中", 200},
    {-FG_EWD_NO_RATE, "110028", "Rate not exist", "汇率不存在", 200},
    {-FG_EWD_OTHER_APP, "110029",
     "The occurrence account uuid is different from the occurrence account",
     "发生账户uuid与发生账户不一致", 200},
    {-FG_EWD_FLOW_TYPE, "110030", "The account type does not match the capital flow",
     "账户类型与资金流向不匹配", 200},
    {-FG_EWD_APPEAL_DEADLINE, "110031", "Appeal failed, exceeding the deadline",
     "申诉失败,超出时限", 200},
    {-FG_EWD_APPEAL_AUTH, "110032", "No appeal authority", "无申诉权限", 200},
    {-FG_EWD_VALUE_DAY, "110033", "Value Day failed to get", "结算日期获取失败", 200},
    {-FG_EWD_CUSTOMER_DISABLED, "110034", "Account is disabled", "账户已禁用", 200},
    {-FG_EWD_CUSTOMER_CANCELLED, "110035", "Account cancelled", "账户已注销", 200},
    {-FG_EWD_EMPTY_BODY, "110036", "Data is null", "数据为空", 200},
    {-FG_EWD_BANK_UNKNOWN, "110037", "ClientBankId does not exist", "存取款信息不存在", 200},
    {-FG_EWD_BANK_STATUS, "110038",
     "The ClientBankID should be either \"Approved\" or \"Approving\"",
     "存取款信息状态应为“已通过”或“审核中”", 200},
    {-FG_EWD_BANK_NOT_APPROVED, "110039",
     "The ClientBankid associated with the order has not been approved",
     "订单关联的存取款信息未审核通过", 200},
    {-FG_EWD_FLOW_FORBIDDEN, "110201", "Prohibit the flow of funds", "禁止资金流动", 200},
    {-FG_EWD_COOLDOWN, "110202", "Current withdrawal cooling, please try again later",
     "当前取款冷却中,请稍后再试", 200},
    {-FG_EWD_PENDING_REVIEW, "110203",
     "Please do not resubmit, your withdrawal order pending review",
     "当前有待审核取款订单,请勿重复提交", 200},
    {-FG_EWD_BELOW_MIN, "110204",
     "The withdrawal amount is lower than the minimum withdrawal amount",
     "取款金额低于最低取款金额", 200},
    {-FG_EWD_ABOVE_MAX, "110205",
     "The withdrawal amount is greater than the maximum withdrawal amount",
     "取款金额大于最高取款金额", 200},
    {-FG_EWD_THIRD_PARTY, "110206", "The platform prohibits third-party withdrawals",
     "平台禁止第三方取款", 200},
    {-FG_EWD_BANK_INCOMPLETE, "110207", "Bank info does not exist", "银行信息不存在", 200},
    {-FG_EAMOUNT_ZERO, "110208",
     "The withdrawal amount should be greater than 0 and not greater than the withdrawal amount",
     "取款金额应大于0且不大于提现金额", 200},
    {-FG_EWD_FEE_TOO_HIGH, "110209", "Service charge greater than or equal withdraw amount",
     "手续费大于或等于取款金额", 200},
    {-FG_EWD_FEE_OVER_AMOUNT, "110210", "The handling fee is greater than the amount incurred",
     "手续费大于发生金额", 200},
    {-FG_EWD_FEE_MISMATCH, "110211", "Service charge miscalculation", "手续费计算错误", 200},
    {-FG_EWD_NOT_DIGITAL, "110212", "No such digital currency", "无此数字货币", 200},
    {-FG_EWD_CLEARING_MISSING, "110213", "Missing clearing ID", "缺少清算标识", 200},
    {-FG_EWD_PAYEE, "110214",
     "The payment information does not exist/Inconsistent payment information with uuid",
     "收款信息不存在/收款信息与uuid不一致", 200},
    {-FG_EWD_PAYEE_CURRENCY, "110215", "The currency is not consistent with the payee's currency",
     "发生币种与收款人货币不一致", 200},
    {-FG_EWD_AMOUNT_PRECISION, "110216",
     "The withdrawal amount is too small, which does not meet the accuracy of interface input "
     "parameters",
     "出金金额过小,不满足接口入参精度", 200},
};

/* The code of every answer whose cause has no business code: an operating
 * failure (store, memory, queue full, shutting down). Nothing was applied;
 * the caller retries. */
static const struct api_code operating = {
    API_CODE_UNMAPPED, "110017", "Failed to initiate Distributed transaction", "分布式事务失败", 0};

const struct api_code_map funds_code_map = {
    .rows = codes,
    .count = (int)(sizeof(codes) / sizeof(codes[0])),
    .fallback = &operating,
};

int funds_code_of(int fg_code)
{
    const struct api_code *row = api_code_of(&funds_code_map, fg_code);
    return row == funds_code_map.fallback ? 0 : atoi(row->wire);
}

int funds_wire_code(int fg_code)
{
    return atoi(api_code_of(&funds_code_map, fg_code)->wire);
}
